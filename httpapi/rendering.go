package httpapi

// Rendering says whether this trawl renders pages in a headless browser
// (jsRendering); GET /user/me reports it.
type Rendering struct {
	Enabled  bool   `json:"enabled" doc:"A headless browser renders pages asked for with jsRendering."`
	Tabs     int    `json:"tabs,omitempty" doc:"Pages rendered at once."`
	TabsBusy int    `json:"tabsBusy,omitempty" doc:"Pages rendering now."`
	Note     string `json:"note,omitempty" doc:"Why rendering is off."`
}

// rendering returns the status Config.Rendering reports, or "off".
func (s *server) renderingStatus() Rendering {
	if s.rendering == nil {
		return Rendering{Note: "rendering is off"}
	}
	return s.rendering()
}
