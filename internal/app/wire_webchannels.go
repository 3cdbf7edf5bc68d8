package app

import (
	"github.com/callimport/callimport/internal/webui"
)

// webChannels gives the web settings pages what they drive: the same
// connectors Manager (pull sources, run now under the scheduler's lease)
// and Genesys service as the API.
func webChannels(s *Server) webui.Channels {
	ch := webui.Channels{SFTPAddress: s.cfg.SFTPAddr}
	if m := s.Connectors; m != nil {
		ch.Genesys, ch.Manager = m.Genesys(), m
	}
	return ch
}
