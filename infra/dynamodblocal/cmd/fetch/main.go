// Command fetch downloads and unpacks DynamoDB Local into the project's cache folder (see
// dynamodblocal.CacheDir) so that tests and the local stack need not wait for it.
package main

import (
	"fmt"
	"os"

	"github.com/keepsafe-schools/keepsafe/infra/dynamodblocal"
)

func main() {
	dir, err := dynamodblocal.Ensure(dynamodblocal.CacheDir())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("DynamoDB Local ready in", dir)
}
