// Command subscriptions is the SubscriptionsFunction: changes to schools (their rosters) and
// to people (their profiles) arrive from the table's stream, and each school they touch has
// its SNS topics and subscriptions brought in line with who is on its roster now.
package main

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/keepsafe-schools/keepsafe/shared/alert"
	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	cfg, err := awsenv.Config()
	if err != nil {
		slog.Error("aws config", "error", err.Error())
		os.Exit(1)
	}
	prefix, perTopic, err := settings(os.Getenv)
	if err != nil {
		slog.Error("settings", "error", err.Error())
		os.Exit(1)
	}
	st := store.New(store.NewClient(cfg), os.Getenv("TABLE_NAME"))
	h := handler{
		reconciler: alert.Reconciler{SNS: sns.NewFromConfig(cfg), Store: st, TopicPrefix: prefix,
			KMSKey: os.Getenv("ALERTS_KMS_KEY"), PerTopic: perTopic},
		leases: st,
		now:    time.Now,
	}
	lambda.Start(h.Handle)
}

// settings reads the topic prefix (ALERTS_TOPIC_PREFIX: "keepsafe-<stage>" in template.yaml,
// "keepsafe-local" in the local stack) and the subscriptions per topic (ALERTS_SUBSCRIPTIONS_PER_TOPIC, alert.DefaultPerTopic when unset).
func settings(getenv func(string) string) (prefix string, perTopic int, err error) {
	prefix = getenv("ALERTS_TOPIC_PREFIX")
	if prefix == "" {
		return "", 0, fmt.Errorf("ALERTS_TOPIC_PREFIX is not set")
	}
	perTopic = alert.DefaultPerTopic
	if v := getenv("ALERTS_SUBSCRIPTIONS_PER_TOPIC"); v != "" {
		perTopic, err = strconv.Atoi(v)
		if err != nil || perTopic < 1 || perTopic > alert.FilterPolicyQuota {
			return "", 0, fmt.Errorf("ALERTS_SUBSCRIPTIONS_PER_TOPIC %q: want 1 to %d", v, alert.FilterPolicyQuota)
		}
	}
	return prefix, perTopic, nil
}
