package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ctemhq/ctem/internal/prioritize"
	"github.com/ctemhq/ctem/internal/prioritize/backtest"
)

func main() {
	t0 := time.Now()
	kf, _ := os.Open("/work/shared/feeds/kev/known_exploited_vulnerabilities-2026.08.07.json")
	kev, err := backtest.ReadKEV(kf)
	if err != nil { panic(err) }
	cf, _ := os.Open("/work/shared/feeds/cvss/cvss-bt-2024-03-04.csv.gz")
	cv, err := backtest.ReadCVSS(cf)
	if err != nil { panic(err) }
	fmt.Fprintln(os.Stderr, "kev+cvss", time.Since(t0))
	pop, _ := backtest.ParsePopulation(os.Getenv("POP"))
	var reps []backtest.Report
	for _, ef := range os.Args[1:] {
		t1 := time.Now()
		f, _ := os.Open(ef)
		ds, err := backtest.Load(f, kev, cv, backtest.Options{Population: pop, Policy: prioritize.DefaultPolicy(), CVSSReadOn: backtest.ReadOnFromName("2024-03-04")})
		if err != nil { panic(err) }
		reps = append(reps, ds.Report(filepath.Base(ef), "cvss"))
		fmt.Fprintln(os.Stderr, ef, time.Since(t1))
	}
	if os.Getenv("MD") != "" {
		backtest.WriteMarkdown(os.Stdout, reps)
	} else {
		backtest.WriteText(os.Stdout, reps)
	}
}
