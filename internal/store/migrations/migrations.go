// Package migrations embeds the schema migrations of each dialect.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// For returns the migrations of dialect ("sqlite" or "postgres").
func For(dialect string) fs.FS {
	sub, err := fs.Sub(files, dialect)
	if err != nil {
		panic(err) // the embedded folders are fixed at build time
	}
	return sub
}
