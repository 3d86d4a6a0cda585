package sqlstore

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"
)

// timeCol scans a timestamp however the driver returns it: PostgreSQL gives
// time.Time; SQLite gives time.Time for declared TIMESTAMP columns and text
// for computed expressions such as MAX(...).
type timeCol struct {
	T     time.Time
	Valid bool
}

var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999 -0700 MST",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02",
}

func (c *timeCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		c.Valid = false
		return nil
	case time.Time:
		c.T, c.Valid = x.UTC(), true
		return nil
	case string:
		return c.parse(x)
	case []byte:
		return c.parse(string(x))
	}
	return fmt.Errorf("cannot scan %T into a time", v)
}

func (c *timeCol) parse(s string) error {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			c.T, c.Valid = t.UTC(), true
			return nil
		}
	}
	return fmt.Errorf("cannot parse time %q", s)
}

func (c timeCol) ptr() *time.Time {
	if !c.Valid {
		return nil
	}
	t := c.T
	return &t
}

// jsonCol scans a JSON column (TEXT in SQLite, JSONB in PostgreSQL) into v.
type jsonCol struct{ v any }

func (c jsonCol) Scan(src any) error {
	var b []byte
	switch x := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		return fmt.Errorf("cannot scan %T as JSON", src)
	}
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, c.v)
}

// nullTime is a *time.Time parameter.
func nullTime(t *time.Time) driver.Valuer { return nullTimeV{t} }

type nullTimeV struct{ t *time.Time }

func (n nullTimeV) Value() (driver.Value, error) {
	if n.t == nil {
		return nil, nil
	}
	return n.t.UTC(), nil
}
