package app

import (
	"github.com/callimport/callimport/internal/webui"
)

// webChannels gives the web settings pages what they drive: the same
// Genesys service, pull runner and secret keyring as the connectors'
// scheduler and API.
func webChannels(s *Server) webui.Channels {
	ch := webui.Channels{SFTPAddress: s.cfg.SFTPAddr}
	if m := s.Connectors; m != nil {
		ch.Genesys, ch.PullRunner, ch.PullSealer = m.Genesys(), m.Pull(), m.Keyring()
	}
	return ch
}
