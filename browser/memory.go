package browser

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
)

// treeMemory returns the memory, in bytes, of process pid and all its
// descendants, read from /proc: each process's proportional set size (PSS,
// shared pages divided among the processes sharing them, so Chromium's many
// processes are not counted once per copy of its libraries), or its
// resident size where PSS is unavailable. It returns 0 where /proc is
// unreadable (not Linux), which never triggers a recycle.
func treeMemory(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	children := make(map[int][]int)
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		rparen := bytes.LastIndexByte(b, ')')
		lparen := bytes.IndexByte(b, '(')
		if rparen < 0 || lparen < 0 {
			continue
		}
		self, err1 := strconv.Atoi(string(bytes.TrimSpace(b[:lparen])))
		fields := bytes.Fields(b[rparen+1:])
		if err1 != nil || len(fields) < 2 {
			continue
		}
		ppid, err := strconv.Atoi(string(fields[1]))
		if err != nil {
			continue
		}
		children[ppid] = append(children[ppid], self)
	}
	page := int64(os.Getpagesize())
	var total int64
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		queue = append(queue, children[p]...)
		if pss, ok := procPSS(p); ok {
			total += pss
			continue
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/statm")
		if err != nil {
			continue
		}
		f := bytes.Fields(b)
		if len(f) < 2 {
			continue
		}
		if n, err := strconv.ParseInt(string(f[1]), 10, 64); err == nil {
			total += n * page
		}
	}
	return total
}

// procPSS reads the "Pss:" line of /proc/<pid>/smaps_rollup, in bytes.
func procPSS(pid int) (int64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return 0, false
	}
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, []byte("Pss:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest) // "12345 kB"
		if len(f) < 1 {
			return 0, false
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		return kb << 10, err == nil
	}
	return 0, false
}
