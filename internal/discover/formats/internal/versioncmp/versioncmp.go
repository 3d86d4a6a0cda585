// Package versioncmp orders package versions well enough to choose among an
// advisory's fixed versions (the lowest fix above the installed version),
// without knowing the ecosystem's own version rules.
package versioncmp

import (
	"regexp"
	"strconv"
	"strings"
)

var segRe = regexp.MustCompile(`\d+|[A-Za-z]+`)

// Compare compares versions segment by segment (runs of digits or of
// letters; anything else separates them): numbers numerically, words as
// strings (case-insensitively), and a number after a word at the same
// place (1.0.0-2 after 1.0.0-rc). When one version runs out of segments,
// the other is later if it goes on with a number (1.2.1 after 1.2) or a
// post-release word (sp, post, p: 1.0-sp1 after 1.0), the same if it goes
// on with final, ga or release (Maven's 1.0.Final is 1.0), and earlier if
// it goes on with any other word — a pre-release (1.0.0-rc1, 1.0-beta
// before 1.0.0). A leading "v" before a digit and semver build metadata
// (+…) are ignored. It returns -1, 0 or +1.
func Compare(a, b string) int {
	as, bs := segments(a), segments(b)
	for i := 0; i < len(as) || i < len(bs); i++ {
		if i >= len(as) {
			return -tail(bs[i:])
		}
		if i >= len(bs) {
			return tail(as[i:])
		}
		x, ex := strconv.ParseUint(as[i], 10, 64)
		y, ey := strconv.ParseUint(bs[i], 10, 64)
		switch {
		case ex == nil && ey == nil:
			if x != y {
				if x < y {
					return -1
				}
				return 1
			}
		case ex == nil: // a number sorts after a pre-release word
			return 1
		case ey == nil:
			return -1
		default:
			if c := strings.Compare(strings.ToLower(as[i]), strings.ToLower(bs[i])); c != 0 {
				return c
			}
		}
	}
	return 0
}

// segments splits a version after dropping a leading "v" and build
// metadata.
func segments(v string) []string {
	if i := strings.IndexByte(v, '+'); i >= 0 {
		v = v[:i]
	}
	if len(v) > 1 && (v[0] == 'v' || v[0] == 'V') && v[1] >= '0' && v[1] <= '9' {
		v = v[1:]
	}
	return segRe.FindAllString(v, -1)
}

// tail is how a version compares with its own prefix when it goes on with
// rest: +1 later, 0 the same, -1 earlier (a pre-release).
func tail(rest []string) int {
	for _, s := range rest {
		if _, err := strconv.ParseUint(s, 10, 64); err == nil {
			return 1
		}
		switch strings.ToLower(s) {
		case "final", "ga", "release":
			continue // the release itself: look further
		case "sp", "post", "p", "pl", "patch":
			return 1
		}
		return -1
	}
	return 0
}
