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
	_ "time/tzdata" // the schedules' time zones, on a machine without a time zone database

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/infra/template"
)

// cadence says when a schedule fires next.
type cadence interface {
	next(after time.Time) (time.Time, bool)
}

// parseCadence reads the EventBridge Scheduler expressions the templates use, in timezone
// (UTC when empty): rate(N minutes|hours|days), and cron(M H * * ? *) or cron(M H ? * D *)
// (every day, or on the weekdays D, a day or a range such as MON-FRI, at H:M). Anything else
// is an error naming the expression, so a template that needs more fails at start.
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
		return parseDaily(expr[5:len(expr)-1], loc)
	}
	return nil, fmt.Errorf("schedule expression %q: the local stack runs rate(...) and cron(...) only", expr)
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

// dailyCadence is a cron expression of a fixed time of day, on every day or on some weekdays.
type dailyCadence struct {
	loc          *time.Location
	hour, minute int
	days         [7]bool // by time.Weekday
}

var dayNames = map[string]time.Weekday{"SUN": time.Sunday, "MON": time.Monday, "TUE": time.Tuesday, "WED": time.Wednesday,
	"THU": time.Thursday, "FRI": time.Friday, "SAT": time.Saturday}

func parseDaily(s string, loc *time.Location) (cadence, error) {
	unsupported := fmt.Errorf("cron(%s): the local stack runs cron(M H * * ? *) and cron(M H ? * DAY[-DAY] *) only", s)
	f := strings.Fields(s)
	if len(f) != 6 || f[3] != "*" || f[5] != "*" {
		return nil, unsupported
	}
	c := &dailyCadence{loc: loc}
	var err1, err2 error
	c.minute, err1 = strconv.Atoi(f[0])
	c.hour, err2 = strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || c.minute < 0 || c.minute > 59 || c.hour < 0 || c.hour > 23 {
		return nil, unsupported
	}
	switch dom, dow := f[2], f[4]; {
	case dom == "*" && dow == "?", dom == "?" && dow == "*":
		c.days = [7]bool{true, true, true, true, true, true, true}
	case dom == "?":
		first, last, isRange := strings.Cut(strings.ToUpper(dow), "-")
		if !isRange {
			last = first
		}
		a, ok1 := dayNames[first]
		b, ok2 := dayNames[last]
		if !ok1 || !ok2 || a > b {
			return nil, unsupported
		}
		for d := a; d <= b; d++ {
			c.days[d] = true
		}
	default:
		return nil, unsupported
	}
	return c, nil
}

// next returns the first time of day on one of the days after `after`; a time the clocks skip
// that day (going forward) is skipped.
func (c *dailyCadence) next(after time.Time) (time.Time, bool) {
	start := after.In(c.loc).Truncate(time.Minute).Add(time.Minute)
	for i := 0; i < 15; i++ {
		d := start.AddDate(0, 0, i)
		t := time.Date(d.Year(), d.Month(), d.Day(), c.hour, c.minute, 0, 0, c.loc)
		if c.days[t.Weekday()] && t.Hour() == c.hour && !t.Before(start) {
			return t, true
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
