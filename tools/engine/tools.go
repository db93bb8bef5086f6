//go:build tools

// Package tools pins the Pulumi CLI and the Python language host so that
// `make engine` builds both from the Go module proxy at the versions in go.mod.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
	_ "github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3"
)
