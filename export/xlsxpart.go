package export

import (
	"strconv"
	"unicode/utf8"
)

// The parts of a workbook (Office Open XML, ECMA-376): the worksheets that
// xlsxWriter streams, and the small parts written after them that say what
// the archive holds. Readers find parts through the zip's central
// directory, so the worksheets may come first.

const (
	xmlDeclaration  = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
	nsMain          = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsRelationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	nsPackageRels   = "http://schemas.openxmlformats.org/package/2006/relationships"
	relWorksheet    = nsRelationships + "/worksheet"
	typeWorksheet   = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
)

// xlsxStyles holds the two cell formats the workbook uses: 0, the default,
// and xlsxBoldStyle for the header. The fills are the two every workbook
// must start with.
const xlsxStyles = xmlDeclaration + `<styleSheet xmlns="` + nsMain + `">` +
	`<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>` +
	`<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>` +
	`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
	`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
	`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
	`<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
	`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>` +
	`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>` +
	`</styleSheet>`

// xlsxRootRels points a reader at the workbook.
const xlsxRootRels = xmlDeclaration + `<Relationships xmlns="` + nsPackageRels + `">` +
	`<Relationship Id="rId1" Type="` + nsRelationships + `/officeDocument" Target="xl/workbook.xml"/>` +
	`</Relationships>`

// sheetPart is the name in the archive of worksheet n (from 1).
func sheetPart(n int) string { return "xl/worksheets/sheet" + strconv.Itoa(n) + ".xml" }

// xlsxPart is one part of the archive.
type xlsxPart struct {
	name string
	body []byte
}

// parts returns the parts that list x's worksheets: the workbook (sheet
// names), its relationships (where each sheet and the styles are), the
// styles, the content types of every part and the package's root
// relationship.
func (x *xlsxWriter) parts() []xlsxPart {
	var wb, rels, types []byte
	wb = append(wb, xmlDeclaration+`<workbook xmlns="`+nsMain+`" xmlns:r="`+nsRelationships+`">`+
		`<bookViews><workbookView activeTab="0"/></bookViews><sheets>`...)
	rels = append(rels, xmlDeclaration+`<Relationships xmlns="`+nsPackageRels+`">`...)
	types = append(types, xmlDeclaration+`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>`+
		`<Default Extension="xml" ContentType="application/xml"/>`+
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`+
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>`...)
	for n := 1; n <= x.sheets; n++ {
		id := strconv.Itoa(n)
		wb = append(wb, `<sheet name="Sheet`+id+`" sheetId="`+id+`" r:id="rId`+id+`"/>`...)
		rels = append(rels, `<Relationship Id="rId`+id+`" Type="`+relWorksheet+`" Target="worksheets/sheet`+id+`.xml"/>`...)
		types = append(types, `<Override PartName="/`+sheetPart(n)+`" ContentType="`+typeWorksheet+`"/>`...)
	}
	wb = append(wb, `</sheets></workbook>`...)
	rels = append(rels, `<Relationship Id="rId`+strconv.Itoa(x.sheets+1)+`" Type="`+nsRelationships+`/styles" Target="styles.xml"/>`+
		`</Relationships>`...)
	types = append(types, `</Types>`...)
	return []xlsxPart{
		{"xl/workbook.xml", wb},
		{"xl/_rels/workbook.xml.rels", rels},
		{"xl/styles.xml", []byte(xlsxStyles)},
		{"[Content_Types].xml", types},
		{"_rels/.rels", []byte(xlsxRootRels)},
	}
}

// columnLetters is the name of column n (from 1): A to Z, then AA, AB and
// so on.
func columnLetters(n int) string {
	var b [8]byte
	i := len(b)
	for n > 0 {
		n--
		i--
		b[i] = byte('A' + n%26)
		n /= 26
	}
	return string(b[i:])
}

// cutUTF16 returns the longest start of the UTF-8 text s that is at most
// limit UTF-16 code units long (Excel counts a cell's characters that way),
// never splitting a character.
func cutUTF16(s []byte, limit int) []byte {
	if len(s) <= limit {
		return s // a UTF-16 unit is never shorter than a UTF-8 byte
	}
	units := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRune(s[i:])
		n := 1
		if r > 0xFFFF {
			n = 2
		}
		if units+n > limit {
			return s[:i]
		}
		units += n
		i += size
	}
	return s
}

// xmlTextClass says how each byte of cell text is written: 0 as it is, 1
// escaped as an XML entity, 2 as an _xHHHH_ escape (a control character
// XML 1.0 cannot hold), 3 checked further (an underscore, which may start
// what reads as an _xHHHH_ escape; a byte of a multi-byte character).
var xmlTextClass = func() (t [256]uint8) {
	for c := range 0x20 {
		t[c] = 2
	}
	t['\t'], t['\n'] = 0, 0
	t['&'], t['<'], t['>'], t['\r'] = 1, 1, 1, 1
	t['_'] = 3
	for c := 0x80; c < 0x100; c++ {
		t[c] = 3
	}
	return t
}()

// appendCellText appends s as the text of a <t> element, so that a
// spreadsheet program reads back exactly s: &, < and > as entities, a
// carriage return as &#xD; (XML would turn it into a line feed), control
// characters and U+FFFE/U+FFFF (not allowed in XML) as the _xHHHH_ escapes
// of Office Open XML, an underscore that would start such an escape as
// _x005F_, and invalid UTF-8 as U+FFFD.
func appendCellText(b, s []byte) []byte {
	for i := 0; i < len(s); {
		start := i
		for i < len(s) && xmlTextClass[s[i]] == 0 {
			i++
		}
		b = append(b, s[start:i]...)
		if i == len(s) {
			break
		}
		c := s[i]
		switch xmlTextClass[c] {
		case 1:
			switch c {
			case '&':
				b = append(b, "&amp;"...)
			case '<':
				b = append(b, "&lt;"...)
			case '>':
				b = append(b, "&gt;"...)
			case '\r':
				b = append(b, "&#xD;"...)
			}
			i++
		case 2:
			b = appendOOXMLEscape(b, rune(c))
			i++
		default:
			if c == '_' {
				if isOOXMLEscape(s[i:]) {
					b = append(b, "_x005F"...)
				}
				b = append(b, '_')
				i++
				continue
			}
			r, size := utf8.DecodeRune(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				b = utf8.AppendRune(b, utf8.RuneError)
			case r == 0xFFFE || r == 0xFFFF:
				b = appendOOXMLEscape(b, r)
			default:
				b = append(b, s[i:i+size]...)
			}
			i += size
		}
	}
	return b
}

// appendOOXMLEscape appends r as _xHHHH_.
func appendOOXMLEscape(b []byte, r rune) []byte {
	const hex = "0123456789ABCDEF"
	return append(b, '_', 'x', hex[r>>12&0xF], hex[r>>8&0xF], hex[r>>4&0xF], hex[r&0xF], '_')
}

// isOOXMLEscape reports whether s starts with _xHHHH_.
func isOOXMLEscape(s []byte) bool {
	return len(s) >= 7 && s[0] == '_' && s[1] == 'x' && s[6] == '_' && isHex4(s[2:6])
}
