package api

// parseBulkRequest reads the common form of a POST /screen body, as
// clients write it with a JSON encoder: {"addresses":["…",…]} with
// "hops" and "evidence" after it if present, in that order, without
// spaces (a final newline aside), addresses made only of characters that
// JSON writes as themselves and hops a plain integer of at most nine
// digits. It returns what json.Decoder gives for such a body, and false
// for anything else, which the caller then decodes with json.Decoder
// (whose errors are the reference) (TestParseBulkRequestMatchesDecoder).
func parseBulkRequest(body []byte) (bulkScreenRequest, bool) {
	var req bulkScreenRequest
	const head = `{"addresses":[`
	if len(body) < len(head) || string(body[:len(head)]) != head {
		return req, false
	}
	i := len(head)
	n := 1
	for j := i; j < len(body) && body[j] != ']'; j++ {
		if body[j] == ',' {
			n++
		}
	}
	req.Addresses = make([]string, 0, n)
	for {
		if i >= len(body) || body[i] != '"' {
			return req, false
		}
		j := i + 1
		for j < len(body) && isPlainJSONByte(body[j]) {
			j++
		}
		if j >= len(body) || body[j] != '"' {
			return req, false
		}
		req.Addresses = append(req.Addresses, string(body[i+1:j]))
		i = j + 1
		if i >= len(body) {
			return req, false
		}
		if body[i] == ']' {
			i++
			break
		}
		if body[i] != ',' {
			return req, false
		}
		i++
	}
	const hopsKey = `,"hops":`
	if len(body)-i > len(hopsKey) && string(body[i:i+len(hopsKey)]) == hopsKey {
		i += len(hopsKey)
		neg := i < len(body) && body[i] == '-'
		if neg {
			i++
		}
		start := i
		for i < len(body) && '0' <= body[i] && body[i] <= '9' {
			i++
		}
		digits := body[start:i]
		if len(digits) == 0 || len(digits) > 9 || len(digits) > 1 && digits[0] == '0' {
			return req, false
		}
		v := 0
		for _, d := range digits {
			v = 10*v + int(d-'0')
		}
		if neg {
			v = -v
		}
		req.Hops = &v
	}
	const evidenceKey = `,"evidence":`
	if len(body)-i > len(evidenceKey) && string(body[i:i+len(evidenceKey)]) == evidenceKey {
		i += len(evidenceKey)
		switch {
		case len(body)-i >= 4 && string(body[i:i+4]) == "true":
			req.Evidence = true
			i += 4
		case len(body)-i >= 5 && string(body[i:i+5]) == "false":
			i += 5
		default:
			return req, false
		}
	}
	if i >= len(body) || body[i] != '}' {
		return req, false
	}
	for _, c := range body[i+1:] {
		if c != '\n' {
			return req, false
		}
	}
	return req, true
}

// isPlainJSONByte reports whether c is one of the characters that JSON
// writes as themselves and addresses are made of: letters, digits, "_",
// "-", ".", ":".
func isPlainJSONByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':'
}
