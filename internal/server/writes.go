package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/ctemhq/ctem/internal/cliutil"
	"github.com/ctemhq/ctem/internal/discover"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/store"
)

// MaxUpload caps an uploaded report (compressed or not).
const MaxUpload = 2 << 30

// postImport takes a report as the request body (any format ctem reads,
// gzip or zip accepted), spools it to a temporary file and imports it:
// one transaction, the same as `ctem import`.
func (s *Server) postImport(w http.ResponseWriter, r *http.Request) {
	if s.importer == nil {
		writeError(w, http.StatusNotImplemented, "this server does not import")
		return
	}
	q := r.URL.Query()
	opt := discover.Options{Format: q.Get("format")}
	if v := q.Get("asset"); v != "" {
		ref, err := cliutil.ParseAssetRef(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "asset: "+err.Error())
			return
		}
		opt.Asset = &ref
	}
	name := q.Get("name")
	if name == "" {
		name = "upload"
	}
	if strings.ContainsAny(name, "/\\\x00") || len(name) > 200 {
		writeError(w, http.StatusBadRequest, "name: a file name without slashes, at most 200 bytes")
		return
	}
	dir, err := os.MkdirTemp("", "ctem-upload-*")
	if err != nil {
		s.fail(w, err)
		return
	}
	defer os.RemoveAll(dir)
	path := dir + string(os.PathSeparator) + name
	f, err := os.Create(path)
	if err != nil {
		s.fail(w, err)
		return
	}
	n, err := io.Copy(f, http.MaxBytesReader(w, r.Body, MaxUpload))
	f.Close()
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("report larger than %d bytes", MaxUpload))
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, "reading the upload: "+err.Error())
		return
	case n == 0:
		writeError(w, http.StatusBadRequest, "empty body: send the report file as the request body")
		return
	}
	opt.Name = "upload:" + name
	res, err := s.importer.ImportFile(r.Context(), path, opt)
	if err != nil {
		msg := strings.ReplaceAll(err.Error(), dir+string(os.PathSeparator), "")
		var pe *report.ParseError
		switch {
		case errors.As(err, &pe), errors.Is(err, report.ErrUnknownFormat), errors.Is(err, discover.ErrLimit):
			writeError(w, http.StatusUnprocessableEntity, msg)
		default:
			s.log.Error("import failed", "err", err)
			writeError(w, http.StatusInternalServerError, "import failed")
		}
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"results": res})
}

// setStatus records a person's decision on a finding.
func (s *Server) setStatus(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		writeError(w, http.StatusBadRequest, "id: want a positive integer")
		return
	}
	var body struct {
		Status string `json:"status"`
		Note   string `json:"note"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "body: want {\"status\": \"accepted|false_positive|open\", \"note\": \"...\"}: "+err.Error())
		return
	}
	st := model.Status(strings.ReplaceAll(strings.ToLower(body.Status), "-", "_"))
	if !st.IsManual() && st != model.StatusOpen {
		writeError(w, http.StatusBadRequest, "status: want accepted, false_positive or open")
		return
	}
	if err := s.store.SetFindingStatus(r.Context(), id, st, body.Note); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, err.Error())
			return
		}
		s.fail(w, err)
		return
	}
	f, err := s.store.GetFinding(r.Context(), id)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}
