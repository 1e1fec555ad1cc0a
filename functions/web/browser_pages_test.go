package main

import (
	"net/http/httptest"
	"testing"
	"time"
)

// fakeSite serves the pages over HTTP with the in-memory store, so the browser flows run
// without the local stack too.
func fakeSite(t *testing.T, configure ...func(*Handler)) site {
	t.Helper()
	h := newTestHandler(newMemStore())
	for _, c := range configure {
		c(h)
	}
	srv := httptest.NewServer(httpHandler(h, time.Now))
	t.Cleanup(srv.Close)
	h.Config.AppURL = srv.URL
	return site{base: srv.URL, school: string(schoolA), pupilName: "Amara Okafor", pupilQuery: "amara",
		signIn: func(t *testing.T, b *browser) { b.setCookie(t, srv.URL, SessionCookie, tokenFor(teacher)) }}
}

func TestBrowserPages_RecordAConcernOnAPhone(t *testing.T) {
	recordConcernFlow(t, newBrowser(t), fakeSite(t))
}

func TestBrowserPages_MissingFieldsAreNamedAndNothingIsWritten(t *testing.T) {
	missingFieldsFlow(t, newBrowser(t), fakeSite(t))
}

func TestRule_S3_BrowserPages_EscapeHidesThePage(t *testing.T) {
	hideFlow(t, newBrowser(t), fakeSite(t))
}

func TestRule_S3_BrowserPages_APageLeftAloneHides(t *testing.T) {
	idleFlow(t, newBrowser(t), fakeSite(t, func(h *Handler) { h.IdleTimeout = 2 * time.Second }))
}
