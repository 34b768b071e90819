package explain

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"strings"
	"sync"
)

//go:embed groups.csv
var groupsCSV []byte

// GroupDef is one capability group of groups.csv.
type GroupDef struct {
	Area     string   `json:"area"`
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Syscalls []string `json:"syscalls"`
}

// Groups returns the capability groups, in the table's order.
func Groups() []GroupDef { return groups() }

// groups is the table, read on first use (not at every start of sysfence).
var groups = sync.OnceValue(func() []GroupDef { return mustParseGroups(groupsCSV) })

func mustParseGroups(data []byte) []GroupDef {
	gs, err := parseGroups(data)
	if err != nil {
		panic(err)
	}
	return gs
}

// parseGroups reads the table: '#' lines are comments, then a header.
func parseGroups(data []byte) ([]GroupDef, error) {
	var body bytes.Buffer
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("#")) {
			body.Write(line)
		}
	}
	rows, err := csv.NewReader(&body).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("groups.csv: %w", err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != "area,id,title,syscalls" {
		return nil, fmt.Errorf("groups.csv: missing header area,id,title,syscalls")
	}
	var out []GroupDef
	for _, r := range rows[1:] {
		out = append(out, GroupDef{Area: r[0], ID: r[1], Title: r[2], Syscalls: strings.Fields(r[3])})
	}
	return out, nil
}
