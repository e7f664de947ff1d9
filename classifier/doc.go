// Package classifier labels telephone audio, 20 ms at a time, so that Hold
// Slayer knows whether it hears ringing, a busy or intercept tone, keypad
// tones, hold music, silence or a person, and turns that into "on hold" and
// "a human started talking after the hold".
//
// It is pure DSP: no I/O, no goroutines, no allocation per frame in steady
// state. The layers can be used on their own:
//
//	FeatureExtractor  frame -> spectral and temporal features (FFT, autocorrelation)
//	DTMFDetector      Goertzel-free FFT peak check per ITU-T Q.24 (tolerances, twist, duration)
//	ToneDetector      call-progress tones of the national plans, with cadence checks
//	Model             context features -> silence / music / speech / noise probabilities
//	Smoother          frame labels -> segments with hysteresis
//	HoldDetector      segments -> hold_detected
//	HumanDetector     hold + speech -> human_detected (the acoustic layer), with evidence
//	Pipeline          all of the above for one call
package classifier
