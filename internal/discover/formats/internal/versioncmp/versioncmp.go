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
// strings, and a number after a word at the same place (1.0.0-2 after
// 1.0.0-rc). A version that runs out of segments sorts first, so 1.0.0
// sorts before 1.0.0-rc1: pre-releases are not told apart. It returns -1,
// 0 or +1.
func Compare(a, b string) int {
	as, bs := segRe.FindAllString(a, -1), segRe.FindAllString(b, -1)
	for i := 0; i < len(as) || i < len(bs); i++ {
		if i >= len(as) {
			return -1
		}
		if i >= len(bs) {
			return 1
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
			if c := strings.Compare(as[i], bs[i]); c != 0 {
				return c
			}
		}
	}
	return 0
}
