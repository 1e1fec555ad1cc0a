package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/infra/template"
)

// cadence says when a schedule fires next.
type cadence interface {
	next(after time.Time) (time.Time, bool)
}

// parseCadence reads an EventBridge Scheduler expression: rate(N minutes|hours|days),
// cron(min hour day-of-month month day-of-week year) in timezone (UTC when empty), or
// at(yyyy-mm-ddThh:mm:ss).
func parseCadence(expr, timezone string) (cadence, error) {
	loc := time.UTC
	if timezone != "" {
		l, err := time.LoadLocation(timezone)
		if err != nil {
			return nil, fmt.Errorf("schedule timezone %q: %w", timezone, err)
		}
		loc = l
	}
	expr = strings.TrimSpace(expr)
	switch {
	case strings.HasPrefix(expr, "rate(") && strings.HasSuffix(expr, ")"):
		return parseRate(expr[5 : len(expr)-1])
	case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
		return parseCron(expr[5:len(expr)-1], loc)
	case strings.HasPrefix(expr, "at(") && strings.HasSuffix(expr, ")"):
		t, err := time.ParseInLocation("2006-01-02T15:04:05", expr[3:len(expr)-1], loc)
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %w", expr, err)
		}
		return atCadence(t), nil
	}
	return nil, fmt.Errorf("schedule expression %q: want rate(...), cron(...) or at(...)", expr)
}

type rateCadence time.Duration

func parseRate(s string) (cadence, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return nil, fmt.Errorf("rate(%s): want rate(value unit)", s)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 {
		return nil, fmt.Errorf("rate(%s): value must be a positive whole number", s)
	}
	var unit time.Duration
	switch strings.TrimSuffix(f[1], "s") {
	case "minute":
		unit = time.Minute
	case "hour":
		unit = time.Hour
	case "day":
		unit = 24 * time.Hour
	default:
		return nil, fmt.Errorf("rate(%s): unit must be minutes, hours or days", s)
	}
	return rateCadence(time.Duration(n) * unit), nil
}

func (r rateCadence) next(after time.Time) (time.Time, bool) {
	return after.Add(time.Duration(r)), true
}

type atCadence time.Time

func (a atCadence) next(after time.Time) (time.Time, bool) {
	t := time.Time(a)
	return t, t.After(after)
}

// cronCadence is an EventBridge cron expression. Supported: *, ?, values, ranges, lists,
// steps (a/n, */n, a-b/n), month and weekday names, and L in day-of-month. W and # are not.
type cronCadence struct {
	loc                     *time.Location
	minutes, hours          []bool
	dom, months, dow        []bool
	domAny, dowAny, lastDay bool
	years                   []bool // index year-1970; nil for any
}

var monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
var dayNames = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

func parseCron(s string, loc *time.Location) (cadence, error) {
	f := strings.Fields(s)
	if len(f) != 6 {
		return nil, fmt.Errorf("cron(%s): want six fields", s)
	}
	c := &cronCadence{loc: loc}
	var err error
	if c.minutes, err = cronField(f[0], 0, 59, nil); err != nil {
		return nil, fmt.Errorf("cron(%s) minutes: %w", s, err)
	}
	if c.hours, err = cronField(f[1], 0, 23, nil); err != nil {
		return nil, fmt.Errorf("cron(%s) hours: %w", s, err)
	}
	switch f[2] {
	case "?":
		c.domAny = true
	case "L":
		c.lastDay = true
	default:
		if c.dom, err = cronField(f[2], 1, 31, nil); err != nil {
			return nil, fmt.Errorf("cron(%s) day-of-month: %w", s, err)
		}
	}
	if c.months, err = cronField(f[3], 1, 12, monthNames); err != nil {
		return nil, fmt.Errorf("cron(%s) month: %w", s, err)
	}
	if f[4] == "?" {
		c.dowAny = true
	} else if c.dow, err = cronField(f[4], 1, 7, dayNames); err != nil {
		return nil, fmt.Errorf("cron(%s) day-of-week: %w", s, err)
	}
	if c.domAny == c.dowAny {
		return nil, fmt.Errorf("cron(%s): exactly one of day-of-month and day-of-week must be ?", s)
	}
	if f[5] != "*" {
		if c.years, err = cronField(f[5], 1970, 2199, nil); err != nil {
			return nil, fmt.Errorf("cron(%s) year: %w", s, err)
		}
	}
	return c, nil
}

// cronField returns a set indexed by value-lo.
func cronField(s string, lo, hi int, names map[string]int) ([]bool, error) {
	set := make([]bool, hi-lo+1)
	val := func(v string) (int, error) {
		if n, ok := names[strings.ToUpper(v)]; ok {
			return n, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("%q is not a value from %d to %d", v, lo, hi)
		}
		return n, nil
	}
	for _, part := range strings.Split(s, ",") {
		rng, stepS, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepS)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("bad step %q", stepS)
			}
			step = n
		}
		a, b := lo, hi
		switch {
		case rng == "*" || rng == "?":
		case strings.Contains(rng, "-"):
			x, y, _ := strings.Cut(rng, "-")
			var err error
			if a, err = val(x); err != nil {
				return nil, err
			}
			if b, err = val(y); err != nil {
				return nil, err
			}
		default:
			if strings.ContainsAny(rng, "LW#") {
				return nil, fmt.Errorf("%q is not supported locally", rng)
			}
			n, err := val(rng)
			if err != nil {
				return nil, err
			}
			a = n
			if !hasStep {
				b = n
			}
		}
		if a > b {
			return nil, fmt.Errorf("range %q runs backwards", rng)
		}
		for v := a; v <= b; v += step {
			set[v-lo] = true
		}
	}
	return set, nil
}

func (c *cronCadence) dayMatches(d time.Time) bool {
	if c.years != nil {
		y := d.Year() - 1970
		if y < 0 || y >= len(c.years) || !c.years[y] {
			return false
		}
	}
	if !c.months[int(d.Month())-1] {
		return false
	}
	switch {
	case c.lastDay:
		return d.AddDate(0, 0, 1).Day() == 1
	case !c.domAny:
		return c.dom[d.Day()-1]
	default:
		return c.dow[int(d.Weekday())] // the set starts at 1 = Sunday, and time.Sunday is 0
	}
}

// next returns the first instant after `after` that the expression names, within five years.
func (c *cronCadence) next(after time.Time) (time.Time, bool) {
	start := after.In(c.loc).Truncate(time.Minute).Add(time.Minute)
	day := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, c.loc)
	for i := 0; i < 5*366; i++ {
		d := day.AddDate(0, 0, i)
		if !c.dayMatches(d) {
			continue
		}
		for h := 0; h < 24; h++ {
			if !c.hours[h] {
				continue
			}
			for m := 0; m < 60; m++ {
				if !c.minutes[m] {
					continue
				}
				t := time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, c.loc)
				if t.Hour() != h {
					continue // a local time that does not exist (the clocks went forward)
				}
				if !t.Before(start) {
					return t, true
				}
			}
		}
	}
	return time.Time{}, false
}

// schedule is one ScheduleV2 event of the template, bound to its function.
type schedule struct {
	def     template.Schedule
	fn      *function
	cadence cadence

	mu      sync.Mutex
	runs    int       // times it has run, on its cadence or on request
	lastRun time.Time // the event time of the last run
}

// schedulerEvent is what EventBridge Scheduler sends a function when the schedule has no
// Input of its own: an EventBridge event with the schedule's time.
func (s *schedule) payload(now time.Time) []byte {
	arn := "arn:aws:scheduler:eu-west-2:000000000000:schedule/default/" + s.def.Name
	at := now.UTC().Truncate(time.Second)
	if s.def.Input != "" {
		r := strings.NewReplacer(
			"<aws.scheduler.scheduled-time>", at.Format(time.RFC3339),
			"<aws.scheduler.schedule-arn>", arn,
			"<aws.scheduler.execution-id>", newID(),
			"<aws.scheduler.attempt-number>", "1",
		)
		return []byte(r.Replace(s.def.Input))
	}
	b, _ := json.Marshal(events.CloudWatchEvent{
		Version: "0", ID: newID(), DetailType: "Scheduled Event", Source: "aws.scheduler",
		AccountID: "000000000000", Time: at, Region: "eu-west-2", Resources: []string{arn},
		Detail: json.RawMessage(`{}`),
	})
	return b
}

func (s *schedule) run(ctx context.Context, clock *Clock) ([]byte, error) {
	now := clock.Now()
	s.mu.Lock()
	s.runs++
	s.lastRun = now
	s.mu.Unlock()
	return s.fn.invoke(ctx, s.payload(now))
}

// scheduler fires every enabled schedule on its cadence, measured in real time; each event
// carries the local clock's time (see Clock).
type scheduler struct {
	schedules map[string]*schedule
	clock     *Clock
	log       *slog.Logger
	disabled  bool // only /dev/schedules/{name}/run runs them
}

func (sc *scheduler) start(ctx context.Context, real func() time.Time) {
	for _, s := range sc.schedules {
		if !s.def.Enabled {
			continue
		}
		go func() {
			last := real()
			for {
				at, ok := s.cadence.next(last)
				if !ok {
					return
				}
				t := time.NewTimer(time.Until(at))
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
				last = at
				out, err := s.run(ctx, sc.clock)
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					sc.log.Warn("schedule failed", "schedule", s.def.Name, "err", err)
				} else {
					sc.log.Info("schedule ran", "schedule", s.def.Name, "bytes", len(out))
				}
			}
		}()
	}
}

// serveRun: POST /dev/schedules/{name}/run runs the schedule now, at the local clock, and
// answers with the function's result.
func (sc *scheduler) serveRun(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s, ok := sc.schedules[name]
	if !ok {
		writeProblem(w, http.StatusNotFound, "No such schedule", fmt.Sprintf("template.yaml has no schedule named %q", name))
		return
	}
	out, err := s.run(r.Context(), sc.clock)
	if err != nil {
		var fe *FunctionError
		if errors.As(err, &fe) {
			writeProblem(w, http.StatusInternalServerError, "Schedule failed", fe.Type+": "+fe.Message)
			return
		}
		writeProblem(w, http.StatusInternalServerError, "Schedule failed", err.Error())
		return
	}
	if len(out) == 0 || !json.Valid(out) {
		out = []byte("null")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

// serveList: GET /dev/schedules lists the schedules and when each fires next.
func (sc *scheduler) serveList(w http.ResponseWriter, r *http.Request) {
	type item struct {
		Name       string `json:"name"`
		Function   string `json:"function"`
		Expression string `json:"expression"`
		Timezone   string `json:"timezone,omitempty"`
		Enabled    bool   `json:"enabled"`
		Next       string `json:"next,omitempty"`
		Runs       int    `json:"runs"`
		LastRun    string `json:"lastRun,omitempty"`
	}
	out := []item{}
	for _, s := range sc.schedules {
		it := item{Name: s.def.Name, Function: s.fn.folder, Expression: s.def.Expression, Timezone: s.def.Timezone, Enabled: s.def.Enabled}
		if t, ok := s.cadence.next(time.Now()); ok && s.def.Enabled && !sc.disabled {
			it.Next = t.UTC().Format(time.RFC3339)
		}
		s.mu.Lock()
		it.Runs = s.runs
		if !s.lastRun.IsZero() {
			it.LastRun = s.lastRun.UTC().Format(time.RFC3339)
		}
		s.mu.Unlock()
		out = append(out, it)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, out)
}
