package schedule

import (
	"encoding/json"
	"testing"
	"time"
)

func TestEventTimeIsTheSchedulesNeverTheWallClock(t *testing.T) {
	for _, ev := range []string{`{}`, `{"time":"soon"}`, `not json`} {
		if _, err := Time(json.RawMessage(ev)); err == nil {
			t.Errorf("event %s accepted", ev)
		}
	}
	got, err := Time(json.RawMessage(`{"time":"2026-11-23T15:00:00Z","id":"x"}`))
	if err != nil || !got.Equal(time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)) {
		t.Errorf("%v %v", got, err)
	}
}
