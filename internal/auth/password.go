package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's second recommended set (19 MiB, 2 passes,
// one lane), so a sign-in costs tens of milliseconds and little memory on
// a small shared machine.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// MinPasswordLen and maxPasswordLen bound passwords (in bytes); the upper
// bound keeps a sign-in request from making the server hash megabytes.
const (
	MinPasswordLen = 12
	maxPasswordLen = 256
)

func checkPassword(pw string) error {
	if len(pw) < MinPasswordLen || len(pw) > maxPasswordLen {
		return fmt.Errorf("a password has %d to %d bytes", MinPasswordLen, maxPasswordLen)
	}
	return nil
}

// hashPassword returns the PHC string of an argon2id hash of pw.
func hashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("stored password hash is not an argon2id PHC string")

// verifyPassword reports whether pw matches the PHC string; the parameters
// are read from the string (bounded), so a later change of the defaults
// keeps old hashes valid.
func verifyPassword(phc, pw string) (bool, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	var mem, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &passes, &threads); err != nil ||
		mem > 1<<20 || passes > 10 || threads == 0 || passes == 0 {
		return false, errBadHash
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(pw), salt, passes, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// randomSecret returns n random bytes, base64url without padding.
func randomSecret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never on supported platforms (Go 1.24+ crashes itself)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// GeneratePassword returns a random password of 20 characters.
func GeneratePassword() string { return randomSecret(15) }
