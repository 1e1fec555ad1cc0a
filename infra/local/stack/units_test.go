package stack

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/keepsafe-schools/keepsafe/shared/identity"
)

func TestCadence(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	cases := []struct {
		expr, tz string
		after    time.Time
		want     time.Time
	}{
		// Weekdays at 06:30 London time: Friday evening -> Monday morning.
		{"cron(30 6 ? * MON-FRI *)", "Europe/London", time.Date(2025, 3, 7, 19, 0, 0, 0, time.UTC), time.Date(2025, 3, 10, 6, 30, 0, 0, london)},
		// In summer time 06:30 London is 05:30 UTC.
		{"cron(30 6 ? * MON-FRI *)", "Europe/London", time.Date(2025, 6, 2, 5, 0, 0, 0, time.UTC), time.Date(2025, 6, 2, 5, 30, 0, 0, time.UTC)},
		{"cron(0 12 ? * sun *)", "", time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 9, 12, 0, 0, 0, time.UTC)},
		// Every day at 05:30 London time: later today, else tomorrow.
		{"cron(30 5 * * ? *)", "Europe/London", time.Date(2025, 3, 7, 5, 29, 0, 0, time.UTC), time.Date(2025, 3, 7, 5, 30, 0, 0, time.UTC)},
		{"cron(30 5 * * ? *)", "Europe/London", time.Date(2025, 3, 7, 5, 30, 0, 0, time.UTC), time.Date(2025, 3, 8, 5, 30, 0, 0, time.UTC)},
		{"cron(30 5 ? * * *)", "Europe/London", time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC), time.Date(2025, 7, 2, 4, 30, 0, 0, time.UTC)},
		// 01:30 does not exist in London on 30 March 2025 (the clocks go forward): the next day.
		{"cron(30 1 * * ? *)", "Europe/London", time.Date(2025, 3, 29, 12, 0, 0, 0, time.UTC), time.Date(2025, 3, 31, 0, 30, 0, 0, time.UTC)},
		{"rate(15 minutes)", "", time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 3, 0, 15, 0, 0, time.UTC)},
		{"rate(1 day)", "", time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		cad, err := parseCadence(c.expr, c.tz)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		got, ok := cad.next(c.after)
		if !ok || !got.Equal(c.want) {
			t.Errorf("%s after %s = %s, want %s", c.expr, c.after, got, c.want)
		}
	}
	// What the templates do not use is refused, naming the expression.
	for _, bad := range []string{"rate(0 minutes)", "rate(5 weeks)", "cron(0 0 * * * *)", "cron(0 0 ? * ? *)", "cron(61 0 ? * * *)",
		"cron(0 0 ? * 2#1 *)", "cron(0 0 1W * ? *)", "every day", "cron(0 0 * *)", "at(2025-03-03T09:00:00)",
		"cron(0/15 7-18 ? * * *)", "cron(0 0 L * ? *)", "cron(0 9 1 JAN,SEP ? 2026)", "cron(0 12 ? * 1 *)", "cron(0 9 ? * MON,WED *)",
		"cron(0 9 ? * FRI-MON *)", "cron(0 9 * * ? 2026)"} {
		_, err := parseCadence(bad, "")
		if inner := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(bad, "cron("), "rate("), ")"); err == nil || !strings.Contains(err.Error(), inner) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if _, err := parseCadence("rate(1 hour)", "Mars/Olympus"); err == nil {
		t.Error("an unknown time zone was accepted")
	}
}

func TestFilterPatterns(t *testing.T) {
	outbox := `{"eventName":["INSERT"],"dynamodb":{"NewImage":{"type":{"S":["outbox"]}}}}`
	rec := func(name, typ string) any {
		var v any
		_ = json.Unmarshal([]byte(`{"eventName":"`+name+`","dynamodb":{"NewImage":{"type":{"S":"`+typ+`"},"tags":{"SS":["a","b"]}}}}`), &v)
		return v
	}
	cases := []struct {
		pattern string
		event   any
		want    bool
	}{
		{outbox, rec("INSERT", "outbox"), true},
		{outbox, rec("MODIFY", "outbox"), false},
		{outbox, rec("INSERT", "user"), false},
		{outbox, map[string]any{"eventName": "INSERT"}, false},
		{`{"eventName":["INSERT","MODIFY"]}`, rec("MODIFY", "x"), true},
		{`{"eventName":["INSERT","MODIFY"],"dynamodb":{"NewImage":{"type":{"S":["user","school"]}}}}`, rec("MODIFY", "school"), true},
		{`{"eventName":["INSERT","MODIFY"],"dynamodb":{"NewImage":{"type":{"S":["user","school"]}}}}`, rec("REMOVE", "user"), false},
		{`{"dynamodb":{"NewImage":{"tags":{"SS":["b"]}}}}`, rec("INSERT", "x"), true},
		{`{"dynamodb":{"NewImage":{"gone":["x"]}}}`, rec("INSERT", "x"), false},
		{`{"dynamodb":{"NewImage":{"type":["outbox"]}}}`, rec("INSERT", "outbox"), false}, // an object is not a string
	}
	for _, c := range cases {
		p, err := compilePattern(c.pattern)
		if err != nil {
			t.Fatalf("%s: %v", c.pattern, err)
		}
		if got := p.matches(c.event); got != c.want {
			t.Errorf("%s on %v = %v", c.pattern, c.event, got)
		}
	}
	// What the templates do not use is refused, naming the pattern.
	for _, bad := range []string{`[]`, `{"a":"b"}`, `{"a":[{"numeric":[">",1]}]}`, `not json`, `{"a":{"S":[{"prefix":"out"}]}}`,
		`{"a":[{"exists":false}]}`, `{"a":[{"anything-but":["user"]}]}`, `{"a":[7]}`, `{"a":[true]}`, `{"a":[null]}`} {
		if _, err := compilePattern(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if !(filters{}).pass(rec("REMOVE", "x")) {
		t.Error("no filters should pass everything")
	}
}

func TestToEventRecord(t *testing.T) {
	at := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	r := types.Record{
		AwsRegion: aws.String("ddblocal"), EventID: aws.String("e1"), EventName: types.OperationTypeInsert,
		EventSource: aws.String("aws:dynamodb"), EventVersion: aws.String("1.1"),
		Dynamodb: &types.StreamRecord{
			ApproximateCreationDateTime: &at,
			Keys:                        map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "A"}},
			NewImage: map[string]types.AttributeValue{
				"s":  &types.AttributeValueMemberS{Value: "x"},
				"n":  &types.AttributeValueMemberN{Value: "1.5"},
				"b":  &types.AttributeValueMemberB{Value: []byte{1, 2}},
				"t":  &types.AttributeValueMemberBOOL{Value: true},
				"z":  &types.AttributeValueMemberNULL{Value: true},
				"ss": &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
				"ns": &types.AttributeValueMemberNS{Value: []string{"1", "2"}},
				"bs": &types.AttributeValueMemberBS{Value: [][]byte{{3}}},
				"l":  &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "in"}}},
				"m":  &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": &types.AttributeValueMemberN{Value: "2"}}},
			},
			SequenceNumber: aws.String("000100"), SizeBytes: aws.Int64(42), StreamViewType: types.StreamViewTypeNewImage,
		},
	}
	ev, err := toEventRecord(r, "arn:stream", "eu-west-2")
	if err != nil {
		t.Fatal(err)
	}
	if ev.AWSRegion != "eu-west-2" || ev.EventName != "INSERT" || ev.EventSource != "aws:dynamodb" || ev.EventSourceArn != "arn:stream" ||
		ev.Change.SequenceNumber != "000100" || ev.Change.StreamViewType != "NEW_IMAGE" || ev.Change.SizeBytes != 42 ||
		!ev.Change.ApproximateCreationDateTime.Equal(at) || ev.Change.Keys["PK"].String() != "A" {
		t.Errorf("record = %+v", ev)
	}
	img := ev.Change.NewImage
	if img["s"].String() != "x" || img["n"].Number() != "1.5" || string(img["b"].Binary()) != "\x01\x02" || !img["t"].Boolean() ||
		!img["z"].IsNull() || len(img["ss"].StringSet()) != 2 || img["ns"].NumberSet()[1] != "2" || img["bs"].BinarySet()[0][0] != 3 ||
		img["l"].List()[0].String() != "in" || img["m"].Map()["k"].Number() != "2" {
		t.Errorf("image = %+v", img)
	}
	// It is what Lambda sends: the wire form round-trips.
	b, _ := json.Marshal(events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{ev}})
	var back events.DynamoDBEvent
	if err := json.Unmarshal(b, &back); err != nil || back.Records[0].Change.NewImage["m"].Map()["k"].Number() != "2" {
		t.Errorf("round trip: %v %s", err, b)
	}
}

func TestFirstFailure(t *testing.T) {
	recs := []events.DynamoDBEventRecord{{}, {}, {}}
	for i := range recs {
		recs[i].Change.SequenceNumber = string(rune('1' + i))
	}
	cases := map[string]int{
		``:                         -1,
		`null`:                     -1,
		`{}`:                       -1,
		`{"batchItemFailures":[]}`: -1,
		`{"batchItemFailures":[{"itemIdentifier":"3"},{"itemIdentifier":"2"}]}`: 1,
		`{"batchItemFailures":[{"itemIdentifier":"9"}]}`:                        0,
		`{"batchItemFailures":[{"itemIdentifier":""}]}`:                         0,
	}
	for out, want := range cases {
		if got, _ := firstFailure([]byte(out), recs); got != want {
			t.Errorf("%q -> %d, want %d", out, got, want)
		}
	}
}

func TestWriteResponse(t *testing.T) {
	w := httptest.NewRecorder()
	status, err := writeResponse(w, []byte(`{"statusCode":201,"headers":{"Content-Type":"text/plain"},"multiValueHeaders":{"X-A":["1","2"]},"cookies":["a=1","b=2"],"body":"aGk=","isBase64Encoded":true}`))
	if err != nil || status != 201 || w.Code != 201 || w.Body.String() != "hi" || w.Header().Get("Content-Type") != "text/plain" ||
		len(w.Header().Values("X-A")) != 2 || len(w.Header().Values("Set-Cookie")) != 2 {
		t.Errorf("structured: %v %d %v %q", err, w.Code, w.Header(), w.Body.String())
	}
	w = httptest.NewRecorder()
	if status, err := writeResponse(w, []byte(`{"ok":true}`)); err != nil || status != 200 || w.Body.String() != `{"ok":true}` ||
		w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("plain JSON: %v %d %q", err, status, w.Body.String())
	}
	for _, bad := range []string{`not json`, `{"statusCode":99}`, `{"statusCode":200,"body":"%%","isBase64Encoded":true}`} {
		if _, err := writeResponse(httptest.NewRecorder(), []byte(bad)); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
}

func TestIsText(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/json": true, "application/json; charset=utf-8": true, "text/html": true,
		"application/x-www-form-urlencoded": true, "application/problem+json": true,
		"application/octet-stream": false, "image/png": false, "": false, "multipart/form-data; boundary=x": false,
	} {
		if isText(ct) != want {
			t.Errorf("isText(%q) = %v", ct, !want)
		}
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{"": "/", "/schools/x": "/schools/x", "//evil.example": "/", "https://evil.example": "/", "/\\evil": "/",
		"/%09/evil.example": "/", "/\t/evil.example": "/", "/%2F%2Fevil.example": "/", "/%5Cevil.example": "/", " /\n/evil.example": "/"} {
		if got := identity.ReturnPath(in); got != want {
			t.Errorf("identity.ReturnPath(%q) = %q", in, got)
		}
	}
}
