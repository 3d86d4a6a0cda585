package rescore

// SetParallelAbove sets the size above which runs are split between
// workers, for tests, and returns a function that restores it.
func SetParallelAbove(n int) func() {
	old := parallelAbove
	parallelAbove = n
	return func() { parallelAbove = old }
}
