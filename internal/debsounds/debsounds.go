// Package debsounds says where Debian's Asterisk sound packages put their
// files, for the programs that read them: the corpus generator, the
// simulated Asterisk and the tests.
package debsounds

// The packages' directories.
const (
	// MOHDir holds asterisk-moh-opsound-wav's hold music.
	MOHDir = "/usr/share/asterisk/moh"
	// CoreDir holds the English prompts of asterisk-core-sounds-en-wav. It is a
	// link that asterisk-core-sounds-en makes; without that package (the -wav
	// one installed without recommends) the files are only in CoreVoiceDir.
	CoreDir      = "/usr/share/asterisk/sounds/en"
	CoreVoiceDir = "/usr/share/asterisk/sounds/en_US_f_Allison"
)
