package prioritize

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends the decision as compact JSON — the same document
// encoding/json produces for Decision (same field names, order and
// omissions), decodable with json.Unmarshal, but without reflection and
// without HTML escaping ("->" stays "->"). Use it for the store's
// priority_explanation column; it is several times faster than
// json.Marshal. Invalid UTF-8 is replaced by U+FFFD; dates outside years
// 0..9999 (which encoding/json refuses) are omitted.
func (d *Decision) AppendJSON(b []byte) []byte {
	b = append(b, `{"policy":`...)
	b = appendString(b, d.Policy)
	b = append(b, `,"band":`...)
	b = appendString(b, string(d.Band))
	b = append(b, `,"sla_days":`...)
	b = strconv.AppendInt(b, int64(d.SLADays), 10)
	if d.ForensicTriage {
		b = append(b, `,"forensic_triage":true`...)
	}
	b = append(b, `,"risk_points":`...)
	b = strconv.AppendInt(b, int64(d.Points), 10)
	b = append(b, `,"risk":`...)
	b = strconv.AppendInt(b, int64(d.Risk), 10)
	b = append(b, `,"threat":`...)
	b = appendString(b, string(d.ThreatLevel))
	b = append(b, `,"ssvc_cisa":`...)
	b = appendString(b, d.SSVC)
	b = append(b, `,"bod2604":`...)
	b = appendString(b, d.BOD2604)
	p := &d.DecisionPoints
	b = append(b, `,"decision_points":{"exploitation":`...)
	b = appendString(b, p.Exploitation)
	b = append(b, `,"exposed":`...)
	b = strconv.AppendBool(b, p.Exposed)
	b = append(b, `,"automatable":`...)
	b = strconv.AppendBool(b, p.Automatable)
	b = append(b, `,"technical_impact":`...)
	b = appendString(b, p.TechnicalImpact)
	b = append(b, `,"mission_impact":`...)
	b = appendString(b, p.MissionImpact)
	b = append(b, `},"rules":`...)
	b = appendStrings(b, d.RulesFired)
	b = append(b, `,"inputs":`...)
	if d.Inputs == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range d.Inputs {
			in := &d.Inputs[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendString(b, in.Name)
			b = append(b, `,"value":`...)
			b = appendString(b, in.Value)
			if in.Source != "" {
				b = append(b, `,"source":`...)
				b = appendString(b, in.Source)
			}
			b = appendTime(b, `,"date":`, in.Date)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(d.Rewrites) > 0 {
		b = append(b, `,"controls_applied":[`...)
		for i, r := range d.Rewrites {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"control":`...)
			b = appendString(b, r.Control)
			b = append(b, `,"effect":`...)
			b = appendString(b, r.Effect)
			b = append(b, `,"input":`...)
			b = appendString(b, r.Input)
			b = append(b, `,"from":`...)
			b = appendString(b, r.From)
			b = append(b, `,"to":`...)
			b = appendString(b, r.To)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(d.Counterfactuals) > 0 {
		b = append(b, `,"counterfactuals":`...)
		b = appendStrings(b, d.Counterfactuals)
	}
	b = appendTime(b, `,"recheck_by":`, d.RecheckBy)
	return append(b, '}')
}

// MarshalJSON implements json.Marshaler with AppendJSON (encoding/json
// then applies its usual HTML escaping).
func (d Decision) MarshalJSON() ([]byte, error) {
	return d.AppendJSON(make([]byte, 0, 2048)), nil
}

func appendTime(b []byte, key string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	y := t.Year()
	if y < 0 || y > 9999 {
		return b
	}
	b = append(b, key...)
	if t.Location() == time.UTC && t.Nanosecond() == 0 {
		// Fast path for the common case; the same text as RFC3339Nano.
		_, m, d := t.Date()
		hh, mm, ss := t.Clock()
		return append(b, '"', byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
			byte('0'+int(m)/10), byte('0'+int(m)%10), '-', byte('0'+d/10), byte('0'+d%10), 'T',
			byte('0'+hh/10), byte('0'+hh%10), ':', byte('0'+mm/10), byte('0'+mm%10), ':',
			byte('0'+ss/10), byte('0'+ss%10), 'Z', '"')
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// plain[c] is true for the bytes a JSON string can hold as they are.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	i := 0
	for i < len(s) && plain[s[i]] {
		i++
	}
	if i == len(s) {
		b = append(b, s...)
		return append(b, '"')
	}
	start := 0
	for i < len(s) {
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
