package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/llmgate/llmgate/app"
)

// Typed flag values for the settings table. Each Set validates, so a bad value is refused
// with pflag's `invalid argument "x" for "--name" flag: why` or, from the environment,
// `LLMGATE_NAME="x": why`.

type strFlag struct {
	p     *string
	check func(string) error
	typ   string
}

func stringValue(p *string, check func(string) error) pflag.Value {
	return &strFlag{p: p, check: check, typ: "string"}
}

func hostPortValue(p *string) pflag.Value { return &strFlag{p: p, check: hostPort, typ: "host:port"} }

func (v *strFlag) Set(s string) error {
	if v.check != nil {
		if err := v.check(s); err != nil {
			return err
		}
	}
	*v.p = s
	return nil
}
func (v *strFlag) String() string {
	if v == nil || v.p == nil {
		return ""
	}
	return *v.p
}
func (v *strFlag) Type() string { return v.typ }

// enumValue accepts one of choices ("" among them means the setting may be left empty).
func enumValue(p *string, choices ...string) pflag.Value {
	var shown []string
	for _, c := range choices {
		if c != "" {
			shown = append(shown, c)
		}
	}
	check := func(s string) error {
		for _, c := range choices {
			if s == c {
				return nil
			}
		}
		return fmt.Errorf("must be one of: %s", strings.Join(shown, ", "))
	}
	return &strFlag{p: p, check: check, typ: strings.Join(shown, "|")}
}

type boolFlag struct{ p *bool }

func boolValue(p *bool) pflag.Value { return &boolFlag{p} }

func (v *boolFlag) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("must be true or false")
	}
	*v.p = b
	return nil
}
func (v *boolFlag) String() string {
	if v == nil || v.p == nil {
		return "false"
	}
	return strconv.FormatBool(*v.p)
}
func (v *boolFlag) Type() string     { return "bool" }
func (v *boolFlag) IsBoolFlag() bool { return true }

type intFlag struct {
	p        *int
	min, max int
}

func intValue(p *int, min, max int) pflag.Value { return &intFlag{p, min, max} }

func (v *intFlag) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < v.min || n > v.max {
		return fmt.Errorf("must be a whole number from %d to %d", v.min, v.max)
	}
	*v.p = n
	return nil
}
func (v *intFlag) String() string {
	if v == nil || v.p == nil {
		return "0"
	}
	return strconv.Itoa(*v.p)
}
func (v *intFlag) Type() string { return "int" }

// sizeFlag is a positive byte count: a number of bytes or a number with a unit, decimal
// (KB, MB, GB) or binary (KiB, MiB, GiB); with zeroOff also 0, which turns a feature off.
type sizeFlag struct {
	p       *int64
	zeroOff bool
}

func sizeValue(p *int64) pflag.Value { return &sizeFlag{p: p} }

// sizeOrOffValue is a size where 0 means off.
func sizeOrOffValue(p *int64) pflag.Value { return &sizeFlag{p: p, zeroOff: true} }

var sizeUnits = []struct {
	suffix string
	mult   int64
}{ // longest suffixes first so "MiB" is not read as "B"
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30},
	{"b", 1},
}

func parseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n <= 0 || n*float64(mult) > math.MaxInt64/2 {
		return 0, errors.New("must be a positive size: bytes, or a number with KB, MB, GB, KiB, MiB or GiB")
	}
	return int64(n * float64(mult)), nil
}

func formatSize(n int64) string {
	for _, u := range []struct {
		s string
		m int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.m && n%u.m == 0 {
			return strconv.FormatInt(n/u.m, 10) + u.s
		}
	}
	return strconv.FormatInt(n, 10)
}

func (v *sizeFlag) Set(s string) error {
	if v.zeroOff && strings.TrimSpace(s) == "0" {
		*v.p = 0
		return nil
	}
	n, err := parseSize(s)
	if err != nil && v.zeroOff {
		return errors.New("must be 0 (off) or a positive size: bytes, or a number with KB, MB, GB, KiB, MiB or GiB")
	}
	if err != nil {
		return err
	}
	*v.p = n
	return nil
}
func (v *sizeFlag) String() string {
	if v == nil || v.p == nil {
		return "0"
	}
	return formatSize(*v.p)
}
func (v *sizeFlag) Type() string { return "size" }

// durationFlag is a Go duration, or whole days ("90d"); min bounds it from below.
type durationFlag struct {
	p   *time.Duration
	min time.Duration
}

func durationValue(p *time.Duration, min time.Duration) pflag.Value { return &durationFlag{p, min} }

func (v *durationFlag) Set(s string) error {
	t := strings.TrimSpace(s)
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(t, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(t)
	}
	if err != nil || d < v.min {
		return fmt.Errorf("must be a duration of at least %s (e.g. 30s, 15m, 12h, 90d)", v.min)
	}
	*v.p = d
	return nil
}
func (v *durationFlag) String() string {
	if v == nil || v.p == nil {
		return "0s"
	}
	return v.p.String()
}
func (v *durationFlag) Type() string { return "duration" }

// keyLifetimeFlag is --max-key-lifetime: "0" (no maximum) or a lifetime such as 365d.
type keyLifetimeFlag struct {
	p    *time.Duration
	text string
}

func keyLifetimeValue(p *time.Duration) pflag.Value { return &keyLifetimeFlag{p: p} }

func (v *keyLifetimeFlag) Set(s string) error {
	if strings.TrimSpace(s) == "0" {
		*v.p, v.text = 0, "0"
		return nil
	}
	d, err := app.ParseExpiry(s)
	if err != nil || d < app.MinKeyLifetime {
		return fmt.Errorf("must be 0 (no maximum) or a lifetime of at least %s such as 365d or 720h", app.MinKeyLifetime)
	}
	*v.p, v.text = d, s
	return nil
}
func (v *keyLifetimeFlag) String() string {
	if v == nil {
		return ""
	}
	return v.text
}
func (v *keyLifetimeFlag) Type() string { return "lifetime" }
