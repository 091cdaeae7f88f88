package postgres_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/storage/storagetest"
)

// BenchmarkInsertResults measures result ingest: batches of fresh results
// (storagetest.ResultBatch: 1,000 links checked from three regions, a tenth
// failing) stored with their rollups and latest results, in results/s.
// Building the batches is not timed.
//
//   - batch=500, batch=5000: one prober pushing batches of that size.
//   - batch=1000/pushers=3: three probers, one per region, pushing batches
//     of 1,000 (the API's largest push) at the same time, each round waiting
//     for all three.
func BenchmarkInsertResults(b *testing.B) {
	for _, size := range []int{500, 5000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			s, _ := open(b)
			round := 0
			for b.Loop() {
				b.StopTimer()
				batch := storagetest.ResultBatch(round, size)
				round++
				b.StartTimer()
				if err := s.InsertResults(b.Context(), batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "results/s")
		})
	}
	b.Run("batch=1000/pushers=3", func(b *testing.B) {
		const size, pushers = 1000, 3
		s, _ := open(b)
		round := 0
		for b.Loop() {
			b.StopTimer()
			// With batches of 1,000, ResultBatch's round r is all of region
			// r%3: each pusher keeps to its region, as a region's prober does.
			batches := make([][]linkwatch.Result, pushers)
			for p := range batches {
				batches[p] = storagetest.ResultBatch(round*pushers+p, size)
			}
			round++
			b.StartTimer()
			errs := make([]error, pushers)
			var wg sync.WaitGroup
			for p := range batches {
				wg.Go(func() { errs[p] = s.InsertResults(b.Context(), batches[p]) })
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.N*size*pushers)/b.Elapsed().Seconds(), "results/s")
	})
}
