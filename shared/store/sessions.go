package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Web sessions, held on the server so that they can end (rules S3, S8): the browser keeps only
// an opaque id; the table keeps who it is, when it was last used and when it must end. The item
// is keyed by a hash of the id, so that reading the table never gives anyone a usable cookie.

// ErrNoSession: the session id names no session that is still open (never made, signed out,
// idle too long or past its lifetime).
var ErrNoSession = errors.New("no open session")

// Session is one signed-in browser.
type Session struct {
	// Email and Subject are the person the identity provider verified (rule S8).
	Email, Subject, Name string
	Started, LastSeen    time.Time
	// Idle is how long the session lasts without a request; Ends is when it ends regardless.
	Idle time.Duration
	Ends time.Time
}

// open reports whether the session may serve a request at now.
func (s Session) open(now time.Time) bool {
	return now.Before(s.Ends) && now.Before(s.LastSeen.Add(s.Idle))
}

// touchEvery is how stale LastSeen may be before a request writes it again: an idle timeout
// counted to the minute, for one write a minute at most instead of one per request.
const touchEvery = time.Minute

type sessionItem struct {
	key
	Type     string `dynamodbav:"type"`
	Email    string `dynamodbav:"email"`
	Subject  string `dynamodbav:"subject"`
	Name     string `dynamodbav:"name"`
	Started  string `dynamodbav:"started"`
	LastSeen string `dynamodbav:"lastSeen"`
	IdleSecs int64  `dynamodbav:"idleSeconds"`
	Ends     string `dynamodbav:"ends"`
	Ended    string `dynamodbav:"ended,omitempty"`
	// ExpiresAt lets DynamoDB's TTL remove the item a day after the session's end.
	ExpiresAt int64 `dynamodbav:"expiresAt"`
}

const typeSession = "session"

func sessionKey(id string) key {
	sum := sha256.Sum256([]byte(id))
	return key{PK: "SESSION#" + hex.EncodeToString(sum[:]), SK: "SESSION"}
}

// personSessionItem lists one session under its person, so that a leaver's sessions can all
// be ended (EndSessions) without a Scan. It names the session by its item's key, the hash of
// its id, never the id.
type personSessionItem struct {
	key
	Type    string `dynamodbav:"type"`
	Session string `dynamodbav:"session"`
	// ExpiresAt lets DynamoDB's TTL remove the item with its session.
	ExpiresAt int64 `dynamodbav:"expiresAt"`
}

const typePersonSession = "person-session"

func personSessionsPK(email string) string { return "USER#" + email + "#SESSIONS" }

// StartSession keeps a new session under id (a random value the caller made), with its index
// item under the person: one transaction of two puts.
func (s *Store) StartSession(ctx context.Context, id string, ses Session) error {
	k := sessionKey(id)
	it := sessionItem{key: k, Type: typeSession, Email: ses.Email, Subject: ses.Subject, Name: ses.Name,
		Started: ts(ses.Started), LastSeen: ts(ses.Started), IdleSecs: int64(ses.Idle / time.Second), Ends: ts(ses.Ends),
		ExpiresAt: ses.Ends.Add(24 * time.Hour).Unix()}
	ix := personSessionItem{key: key{PK: personSessionsPK(ses.Email), SK: k.PK}, Type: typePersonSession, Session: k.PK, ExpiresAt: it.ExpiresAt}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: marshal(it), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: &s.table, Item: marshal(ix)}},
	}})
	return wrap("start session", err)
}

// OpenSession returns the session id names if it is open at now, and keeps it alive: one read,
// and a write when it was last marked more than a minute ago. ErrNoSession otherwise.
func (s *Store) OpenSession(ctx context.Context, id string, now time.Time) (Session, error) {
	if id == "" {
		return Session{}, ErrNoSession
	}
	var it sessionItem
	ok, err := s.getItem(ctx, sessionKey(id), &it, true)
	if err != nil {
		return Session{}, err
	}
	if !ok || it.Type != typeSession || it.Ended != "" {
		return Session{}, ErrNoSession
	}
	ses := Session{Email: it.Email, Subject: it.Subject, Name: it.Name, Started: parseTS(it.Started),
		LastSeen: parseTS(it.LastSeen), Idle: time.Duration(it.IdleSecs) * time.Second, Ends: parseTS(it.Ends)}
	if !ses.open(now) {
		return Session{}, ErrNoSession
	}
	if now.Sub(ses.LastSeen) >= touchEvery {
		// On the condition that it is still open and nobody marked it since: a sign-out in
		// between wins, and two requests at once write once.
		_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: sessionKey(id).av(),
			UpdateExpression:    aws.String("SET lastSeen = :now"),
			ConditionExpression: aws.String("lastSeen = :seen AND attribute_not_exists(ended)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":now": &types.AttributeValueMemberS{Value: ts(now)}, ":seen": &types.AttributeValueMemberS{Value: it.LastSeen}}})
		var failed *types.ConditionalCheckFailedException
		if errors.As(err, &failed) {
			return s.OpenSession(ctx, id, now) // read again: ended, or marked by another request
		}
		if err != nil {
			return Session{}, wrap("keep session", err)
		}
		ses.LastSeen = now
	}
	return ses, nil
}

// EndSession ends the session id names at now (signing out); ending one that is not there, or
// ended already, does nothing.
func (s *Store) EndSession(ctx context.Context, id string, now time.Time) error {
	return s.endSession(ctx, sessionKey(id), now)
}

func (s *Store) endSession(ctx context.Context, k key, now time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: k.av(),
		UpdateExpression:          aws.String("SET ended = :now"),
		ConditionExpression:       aws.String("attribute_exists(PK) AND attribute_not_exists(ended)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": &types.AttributeValueMemberS{Value: ts(now)}}})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return nil
	}
	return wrap("end session", err)
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// parseTS reads a time ts wrote; anything else is the zero time, which no session is open at.
func parseTS(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
