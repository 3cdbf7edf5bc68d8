#!/usr/bin/env bash
# make-parser-fixtures.sh regenerates the extra fixtures of the container
# parsers (mp3.go, flac.go, ogg.go, matroska.go, mp4.go): encoder settings and
# container layouts beyond the main fixtures one directory up (MPEG-2.5, no
# Xing, ID3v2.4 + ID3v1, 24-bit FLAC, multichannel Vorbis, live WebM, video +
# audio, fragmented and non-faststart MP4), each about 1 s, and files the
# parsers must refuse while naming the codec.
#
# Needs: bash, ffmpeg (libmp3lame, libopus, libvorbis, libspeex, libvpx), ffprobe, jq.
# Writes beside itself:
#   ok/NAME          a file the parsers describe
#   ok/NAME.json     what ffprobe said about it (the test's expectations),
#                    trimmed to the fields the test compares
#   reject/NAME      a file the parsers must reject
# The tests never run this script; ffprobe's JSON is committed so that the
# test needs no tools (the live oracle test checks the main fixtures).
set -euo pipefail

cd "$(dirname "$0")"
rm -rf ok reject
mkdir -p ok reject

ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
tone=(-f lavfi -i "sine=frequency=440:duration=1")
# A tone that wobbles like speech, so that VBR encoders vary their frames.
voice=(-f lavfi -i "aevalsrc=sin(440*t*(1+sin(3*t)))*sin(7*t)*0.5:d=1")
video=(-f lavfi -i "testsrc=size=32x24:rate=5:duration=1")

# MP3
ff "${tone[@]}" -ac 2 -ar 44100 -b:a 128k ok/cbr_44k_stereo.mp3
ff "${voice[@]}" -ar 22050 -q:a 6 ok/vbr_22k_mono.mp3
ff "${tone[@]}" -ar 16000 -b:a 32k -write_xing 0 ok/noxing_16k.mp3
ff "${tone[@]}" -ar 8000 -b:a 8k ok/mpeg25_8k.mp3
ff "${voice[@]}" -ar 11025 -q:a 4 -write_xing 0 ok/mpeg25_11k_vbr_noxing.mp3
ff "${tone[@]}" -ar 24000 -id3v2_version 4 -write_id3v1 1 \
	-metadata title="A call" -metadata artist="Agent" ok/id3v24_id3v1_24k.mp3
ff "${tone[@]}" -c:a mp2 -f mp2 reject/layer2.mp2

# FLAC
ff "${voice[@]}" -ac 2 -ar 44100 ok/s16_44k_stereo.flac
ff -f lavfi -i "aevalsrc=sin(440*t*(1+sin(3*t)))*sin(7*t)*0.5:d=0.5" \
	-ar 48000 -sample_fmt s32 -bits_per_raw_sample 24 ok/s24_48k.flac
ff "${voice[@]}" -ar 8000 -frame_size 1152 ok/blocks1152_8k.flac
# Written to a pipe, ffmpeg cannot seek back: STREAMINFO's total is 0.
ff "${voice[@]}" -ar 16000 -f flac pipe:1 >ok/piped_nototal_16k.flac

# Ogg
ff "${voice[@]}" -ac 2 -c:a libopus ok/opus_48k_stereo.opus
ff "${voice[@]}" -ar 8000 -c:a libopus -b:a 12k ok/opus_8k_mono.opus
ff "${voice[@]}" -ar 22050 -c:a libvorbis ok/vorbis_22k.ogg
ff "${voice[@]}" -ac 6 -ar 16000 -c:a libvorbis ok/vorbis_16k_6ch.ogg
ff "${tone[@]}" -c:a flac -f ogg reject/flac.oga
ff "${tone[@]}" -ar 8000 -c:a libspeex reject/speex.ogg

# WebM / Matroska
ff "${voice[@]}" -ac 2 -c:a libopus ok/opus_stereo.webm
ff "${voice[@]}" -ar 16000 -c:a libvorbis ok/vorbis_16k.webm
ff "${voice[@]}" -c:a libvorbis ok/vorbis_44k.mka
ff "${tone[@]}" "${video[@]}" -c:v libvpx -c:a libopus ok/vp8_and_opus.webm
# Live: written to a pipe, no Duration and a Segment of unknown size.
ff "${voice[@]}" -ar 16000 -c:a libopus -f webm pipe:1 >ok/live_opus.webm
ff "${tone[@]}" -c:a flac reject/flac.mka
ff "${video[@]}" -c:v libvpx reject/video_only.webm

# MP4 / M4A
ff "${voice[@]}" -ac 2 -c:a aac ok/aac_44k_stereo_moov_at_end.m4a
ff "${voice[@]}" -ar 16000 -c:a aac -movflags +faststart ok/aac_16k_faststart.m4a
ff "${voice[@]}" -ar 8000 -c:a aac -movflags frag_keyframe+empty_moov ok/aac_8k_fragmented.mp4
ff "${tone[@]}" "${video[@]}" -c:v mpeg4 -c:a aac ok/mpeg4_and_aac.mp4
ff "${tone[@]}" -c:a alac reject/alac.m4a
ff "${tone[@]}" -c:a libmp3lame reject/mp3_in.mp4
ff "${video[@]}" -c:v mpeg4 reject/video_only.mp4

for f in ok/*; do
	case "$f" in *.json) continue ;; esac
	ffprobe -v error -print_format json -show_format -show_streams "$f" |
		jq '{format: {duration: .format.duration},
			streams: [.streams[] | {codec_type, codec_name, sample_rate, channels, duration}]}' >"$f.json"
done
