// loadgen: a closed-loop HTTP load generator for the emulator benchmark (standard library only).
//
// It reads a JSON plan on stdin: {"url", "concurrency", "requests", "calls": [{"name", "method", "path",
// "header", "body"}]} where each path may hold "{i}", replaced by the request number modulo "modulo";
// workers take calls in turn and print per-call latencies (ms) as JSON on stdout. A Python load
// generator spends more CPU than the server it measures on a 2-core machine; this one barely shows.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

type call struct {
	Name   string `json:"name"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Header string `json:"header"`
	Body   string `json:"body"`
}

type plan struct {
	URL         string `json:"url"`
	Concurrency int    `json:"concurrency"`
	Requests    int    `json:"requests"`
	Modulo      int    `json:"modulo"`
	Calls       []call `json:"calls"`
}

type result struct {
	Seconds  float64              `json:"seconds"`
	Failures int                  `json:"failures"`
	Samples  map[string][]float64 `json:"samples"`
}

func main() {
	var p plan
	if err := json.NewDecoder(os.Stdin).Decode(&p); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen: bad plan:", err)
		os.Exit(2)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: p.Concurrency}, Timeout: 30 * time.Second}
	var mu sync.Mutex
	res := result{Samples: map[string][]float64{}}
	perWorker := p.Requests / p.Concurrency
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < p.Concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			local := map[string][]float64{}
			failures := 0
			for n := 0; n < perWorker; n++ {
				c := p.Calls[(w+n)%len(p.Calls)]
				i := (w*perWorker + n) % p.Modulo
				path := strings.ReplaceAll(c.Path, "{i}", fmt.Sprint(i))
				body := strings.ReplaceAll(c.Body, "{i}", fmt.Sprint(i))
				req, _ := http.NewRequest(c.Method, p.URL+path, bytes.NewBufferString(body))
				req.Header.Set("Authorization", c.Header)
				if body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				local[c.Name] = append(local[c.Name], float64(time.Since(t0).Microseconds())/1000.0)
				if err != nil || resp.StatusCode >= 400 {
					failures++
				}
			}
			mu.Lock()
			for k, v := range local {
				res.Samples[k] = append(res.Samples[k], v...)
			}
			res.Failures += failures
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	json.NewEncoder(os.Stdout).Encode(res)
}
