#!/usr/bin/env bash
# make-fixtures.sh regenerates the audio fixtures of internal/audio from a
# spoken sentence (espeak-ng), so that every container/codec pair callimport
# accepts has a small, call-like sample (3 s, mostly 8 kHz mono). It also
# writes a few non-audio files that sniffing must refuse.
#
# Needs: bash, espeak-ng, sox, ffmpeg (with libmp3lame, libopus, libvorbis,
# libgsm), zip. Run it from anywhere; it writes beside itself:
#
#   internal/audio/testdata/make-fixtures.sh
#
# The outputs are committed; the tests never run this script. Encoders change
# between ffmpeg versions, so regenerated files may differ byte for byte; the
# oracle test (oracle_test.go) compares against ffprobe, not against bytes.
set -euo pipefail

cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }

mkdir -p wav mp3 flac ogg webm mp4 nonaudio

# Two voices, as on a call: the agent and the customer. 3 s each, 8 kHz mono.
espeak-ng -v en-us -s 165 -w "$tmp/agent.raw.wav" \
	"Thank you for calling. My name is Anna, how can I help you today?"
espeak-ng -v en-gb+f3 -s 165 -w "$tmp/customer.raw.wav" \
	"Hello. I would like to check my last invoice, please."
for v in agent customer; do
	sox "$tmp/$v.raw.wav" -r 8000 -c 1 -b 16 "$tmp/$v.wav" pad 0 3 trim 0 3
done
sox "$tmp/agent.raw.wav" -r 16000 -c 1 -b 16 "$tmp/agent16k.wav" pad 0 3 trim 0 3
# Stereo: agent on the left channel, customer on the right.
sox -M "$tmp/agent.wav" "$tmp/customer.wav" "$tmp/stereo.wav"
a="$tmp/agent.wav"

# --- WAV (RIFF/WAVE), one per codec of PRODUCT.md §1 -----------------------
# ffmpeg writes a LIST/INFO chunk before data unless -bitexact: keep it here so
# the chunk walk skips an unknown chunk.
ff -i "$a" -c:a pcm_s16le -metadata title="fixture" wav/pcm_s16le_8k_mono.wav
ff -i "$a" -c:a pcm_u8 -bitexact wav/pcm_u8_8k_mono.wav
# 24/32-bit and float are written as WAVE_FORMAT_EXTENSIBLE by ffmpeg.
ff -i "$a" -c:a pcm_s24le -bitexact wav/pcm_s24le_8k_mono.wav
ff -i "$a" -c:a pcm_s32le -bitexact wav/pcm_s32le_8k_mono.wav
ff -i "$a" -c:a pcm_f32le -bitexact wav/pcm_f32le_8k_mono.wav
ff -i "$a" -c:a pcm_mulaw -bitexact wav/pcm_mulaw_8k_mono.wav
ff -i "$a" -c:a pcm_alaw -bitexact wav/pcm_alaw_8k_mono.wav
ff -i "$a" -c:a libgsm_ms -bitexact wav/gsm_ms_8k_mono.wav
ff -i "$a" -c:a adpcm_ima_wav -bitexact wav/adpcm_ima_wav_8k_mono.wav
ff -i "$tmp/stereo.wav" -c:a pcm_s16le -bitexact wav/pcm_s16le_8k_stereo.wav
# RF64 (as written for files over 4 GiB), here forced on a small file.
ff -i "$a" -c:a pcm_s16le -bitexact -rf64 always wav/rf64_pcm_s16le_8k_mono.wav
# Written by sox instead of ffmpeg (plain 16-byte fmt, different layout).
sox "$tmp/agent16k.wav" -e signed-integer -b 16 wav/sox_pcm_s16le_16k_mono.wav
sox "$a" -e u-law wav/sox_pcm_mulaw_8k_mono.wav
# Silence: 3 s of digital zero, and 3 s of very quiet noise (about -80 dBFS).
ff -f lavfi -i "anullsrc=r=8000:cl=mono" -t 3 -c:a pcm_s16le -bitexact wav/silent_pcm_s16le_8k_mono.wav
sox -n -r 8000 -c 1 -b 16 wav/near_silent_pcm_s16le_8k_mono.wav synth 3 whitenoise vol 0.0001

# --- MP3 -------------------------------------------------------------------
# CBR with an ID3v2 tag (and ffmpeg's "Info" header), CBR without any
# Xing/Info header, and VBR with a Xing header.
ff -i "$a" -c:a libmp3lame -b:a 16k -id3v2_version 3 -metadata title="fixture" mp3/cbr_id3v2_8k_mono.mp3
ff -i "$a" -c:a libmp3lame -b:a 16k -id3v2_version 0 -write_xing 0 -bitexact mp3/cbr_noxing_8k_mono.mp3
ff -i "$tmp/agent16k.wav" -c:a libmp3lame -q:a 6 -id3v2_version 0 mp3/vbr_xing_16k_mono.mp3

# --- FLAC ------------------------------------------------------------------
ff -i "$a" -c:a flac -bitexact flac/flac_8k_mono.flac

# --- Ogg -------------------------------------------------------------------
ff -i "$a" -c:a libopus -b:a 16k -bitexact ogg/opus_8k_mono.opus
ff -i "$a" -c:a libvorbis -q:a 2 -bitexact ogg/vorbis_8k_mono.ogg

# --- WebM / Matroska -------------------------------------------------------
ff -i "$a" -c:a libopus -b:a 16k -bitexact webm/opus_8k_mono.webm
ff -i "$tmp/stereo.wav" -c:a libvorbis -q:a 2 -bitexact webm/vorbis_8k_stereo.mka

# --- MP4 / M4A -------------------------------------------------------------
ff -i "$a" -c:a aac -b:a 24k -bitexact mp4/aac_8k_mono.m4a

# --- Not audio ---------------------------------------------------------------
printf '%s\n' '%PDF-1.4' '1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj' \
	'2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj' \
	'trailer << /Root 1 0 R >>' '%%EOF' >nonaudio/tiny.pdf
ff -f lavfi -i "color=c=red:s=8x8" -frames:v 1 nonaudio/image.png
printf 'This is a text file that someone named .wav.\n' >nonaudio/text.wav
printf '<!doctype html>\n<html><body>Not found</body></html>\n' >nonaudio/page.html
rm -f nonaudio/archive.zip
(cd "$tmp" && zip -q -X archive.zip agent.wav) && cp "$tmp/archive.zip" nonaudio/archive.zip
ff -f lavfi -i "testsrc=s=16x16:r=5" -t 0.4 -c:v mjpeg -bitexact nonaudio/video.avi
: >nonaudio/empty.wav

ls -l wav mp3 flac ogg webm mp4 nonaudio
