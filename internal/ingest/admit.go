package ingest

// Admit asks the admission limiter (Config.Admission) to let one more
// ingest of orgID run now. Channels that take uploads from outside (REST
// API, tus, web page, hosted SFTP) call it before they read the body, and
// call release once Ingest (or Stage and Commit) returned. When a limit is
// reached it returns at once a *call.Error with CodeRateLimited whose
// cause carries the advised wait (admission.RetryAfter); nothing waits in
// memory. Without a limiter every ingest is admitted.
func (s *Service) Admit(orgID string) (release func(), err error) {
	return s.cfg.Admission.TryAcquire(orgID)
}
