package sftpd

// PipeBuffer is pipeBuffer, for the tests of package sftpd_test.
const PipeBuffer = pipeBuffer
