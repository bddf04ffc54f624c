package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// wrkScript drives wrk (https://github.com/wg/wrk, Debian's package) for
// spoor bench api --generator wrk. Each thread encodes the requests once
// in init: a GET of the URL's path, or a POST of each line of a bodies
// file with the key from $SPOOR_BENCH_KEY. It counts answers that say a
// trace was cut short only when asked, since reading bodies costs wrk
// time. done prints the run as one JSON object for bench api to read.
const wrkScript = `
local key = os.getenv("SPOOR_BENCH_KEY") or ""
local reqs, n = {}, 0
local threads = {}
partial = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local file, start, count = args[1], tonumber(args[2]) or 0, args[3]
  local host = wrk.host .. ":" .. wrk.port
  if file == nil or file == "" then
    reqs[1] = wrk.format("GET", wrk.path, {Host = host})
  else
    for line in io.lines(file) do
      if #line > 0 then
        reqs[#reqs + 1] = wrk.format("POST", wrk.path,
          {Host = host, ["Content-Type"] = "application/json", Authorization = "Bearer " .. key}, line)
      end
    end
  end
  n = start
  if count == "partial" then
    response = function(status, headers, body)
      if string.find(body, '"partial":true', 1, true) then partial = partial + 1 end
    end
  end
end

function request()
  n = n + 1
  return reqs[(n % #reqs) + 1]
end

function done(summary, latency, requests)
  local p = 0
  for _, t in ipairs(threads) do p = p + (t:get("partial") or 0) end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"socket_errors":%d,"status_errors":%d,"p50_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"partial":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max, p))
end
`

// wrkRun is what wrkScript's done prints.
type wrkRun struct {
	Requests     int     `json:"requests"`
	DurationUS   int64   `json:"duration_us"`
	SocketErrors int     `json:"socket_errors"`
	StatusErrors int     `json:"status_errors"`
	P50          float64 `json:"p50_us"`
	P99          float64 `json:"p99_us"`
	P999         float64 `json:"p999_us"`
	Max          float64 `json:"max_us"`
	Partial      int     `json:"partial"`
}

// wrkLoad is one closed-loop load run by wrk.
type wrkLoad struct {
	url         string
	bodiesFile  string // one POST body per line; empty: GET the URL
	connections int
	duration    time.Duration
	// countPartial has wrk read the answers for "partial":true.
	countPartial bool
}

// command returns the command that runs l with the wrk at path, its
// script written into dir. wrk runs one thread, as spoor's own load
// generator does, so that the two load the server alike.
func (l wrkLoad) command(ctx context.Context, path, dir string) (*exec.Cmd, error) {
	script := filepath.Join(dir, "wrk-load.lua")
	if err := os.WriteFile(script, []byte(wrkScript), 0o600); err != nil {
		return nil, err
	}
	secs := max(1, int(math.Round(l.duration.Seconds())))
	count := ""
	if l.countPartial {
		count = "partial"
	}
	args := []string{"-t1", "-c" + strconv.Itoa(l.connections), "-d" + strconv.Itoa(secs) + "s", "--timeout", "30s", "-s", script, l.url,
		"--", l.bodiesFile, "0", count}
	return exec.CommandContext(ctx, path, args...), nil
}

// parseWrk reads what wrkScript printed into a LoadResult. A request
// that failed on the socket or answered other than 2xx or 3xx counts as
// failed.
func parseWrk(out []byte) (LoadResult, error) {
	i := bytes.LastIndex(out, []byte(`{"requests":`))
	if i < 0 {
		return LoadResult{}, fmt.Errorf("wrk printed no result: %q", out)
	}
	var w wrkRun
	if err := json.Unmarshal(bytes.TrimSpace(out[i:]), &w); err != nil {
		return LoadResult{}, fmt.Errorf("wrk result %q: %w", out[i:], err)
	}
	if w.DurationUS <= 0 {
		return LoadResult{}, fmt.Errorf("wrk result %q: no duration", out[i:])
	}
	ok := w.Requests - w.StatusErrors
	return LoadResult{
		Requests:   ok,
		Failed:     w.StatusErrors + w.SocketErrors,
		PerSecond:  float64(ok) / (float64(w.DurationUS) / 1e6),
		P50Micros:  w.P50,
		P99Micros:  w.P99,
		P999Micros: w.P999,
		MaxMicros:  w.Max,
		Partial:    w.Partial,
	}, nil
}
