package export

import (
	"encoding/json"
	"fmt"
	"io"
	"testing"
)

// BenchmarkWrite measures the writers alone, over rows in memory, so that
// it shows their cost apart from the database's (see bench/export for the
// whole path).
func BenchmarkWrite(b *testing.B) {
	rows := make([]json.RawMessage, 10000)
	size := 0
	for i := range rows {
		rows[i] = json.RawMessage(fmt.Sprintf(`{"position":%d,"title":"Coffee shop #%d","placeId":"ChIJ%016x","address":"%d Broadway, New York, NY 10001",`+
			`"phone":"+1 212-555-%04d","rating":4.%d,"reviews":%d,"type":"Coffee shop","types":["Coffee shop","Cafe"],"price":"$$",`+
			`"gpsCoordinates":{"latitude":40.7%04d,"longitude":-73.9%04d},"openState":"Open ⋅ Closes 6 PM",`+
			`"workingHours":{"timezone":"America/New_York","days":[{"day":"Monday","hours":"7 AM–6 PM"},{"day":"Tuesday","hours":"7 AM–6 PM"}]},`+
			`"serviceOptions":["Dine-in","Takeout"],"website":"https://place-%d.example.com/","emails":["hello@place-%d.example.com"]}`,
			i, i, i*7919, i%999, i%10000, i%10, i*3, i%10000, i%10000, i, i))
		size += len(rows[i])
	}
	all := func(yield func(json.RawMessage) error) error {
		for _, r := range rows {
			if err := yield(r); err != nil {
				return err
			}
		}
		return nil
	}
	for _, f := range Formats() {
		b.Run(string(f), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := Write(io.Discard, f, []string{"position", "title", "gpsCoordinates"}, all); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
