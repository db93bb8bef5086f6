//go:build tools

// Package tools pins the Python language host. It is an untagged module, and the only
// pseudo-version the Go module proxy serves (2025-08-06) predates the CLI in ../go.mod, so it is
// built against the pkg/sdk release cut the next day (v3.188.0) in a module of its own.
package tools

import (
	_ "github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3"
)
