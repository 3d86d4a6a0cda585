// Command ctem is the Continuous Threat Exposure Management platform.
package main

import (
	"context"
	"os"

	"github.com/ctemhq/ctem/internal/cli"
)

func main() {
	os.Exit(cli.Run(context.Background(), os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}
