// Package calendar supplies the bank holidays of England and Wales (rickar/cal/v2, package gb,
// with substitute days) to the domain's school-day rules.
package calendar

import (
	"sync"
	"time"

	"github.com/rickar/cal/v2/gb"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// BankHolidays is a calendar whose school days are Monday to Friday except the bank holidays
// of England and Wales, substitute days included.
type BankHolidays struct {
	mu    sync.Mutex
	years map[int]map[time.Month]map[int]string
}

var _ safeguarding.Calendar = (*BankHolidays)(nil)

// EnglandAndWales returns the bank-holiday calendar. Years are worked out when first asked.
func EnglandAndWales() *BankHolidays {
	return &BankHolidays{years: map[int]map[time.Month]map[int]string{}}
}

// IsSchoolDay reports whether the local date of day is a weekday and not a bank holiday.
func (b *BankHolidays) IsSchoolDay(day time.Time) bool {
	if !(safeguarding.Weekdays{}).IsSchoolDay(day) {
		return false
	}
	_, holiday := b.Holiday(day)
	return !holiday
}

// Holiday names the bank holiday that falls (as observed) on the local date of day.
func (b *BankHolidays) Holiday(day time.Time) (string, bool) {
	l := day.In(safeguarding.London)
	b.mu.Lock()
	defer b.mu.Unlock()
	y, ok := b.years[l.Year()]
	if !ok {
		y = map[time.Month]map[int]string{}
		for _, h := range gb.Holidays {
			_, observed := h.Calc(l.Year())
			if observed.IsZero() {
				continue
			}
			if y[observed.Month()] == nil {
				y[observed.Month()] = map[int]string{}
			}
			y[observed.Month()][observed.Day()] = h.Name
		}
		b.years[l.Year()] = y
	}
	name, ok := y[l.Month()][l.Day()]
	return name, ok
}
