// Command minimal is the smallest possible Go Lambda: the yardstick for start-up time.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context) error { return nil })
}
