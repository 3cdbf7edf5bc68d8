package audio

import "encoding/binary"

// oggCRCTable holds the slicing-by-8 tables of the Ogg page checksum
// (CRC-32, polynomial 0x04C11DB7, most significant bit first, initial value
// 0, no final XOR). It is read-only.
var oggCRCTable = oggMakeCRCTable()

func oggMakeCRCTable() *[8][256]uint32 {
	t := new([8][256]uint32)
	for i := range 256 {
		c := uint32(i) << 24
		for range 8 {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04C11DB7
			} else {
				c <<= 1
			}
		}
		t[0][i] = c
	}
	for k := 1; k < 8; k++ {
		for i := range 256 {
			p := t[k-1][i]
			t[k][i] = p<<8 ^ t[0][p>>24]
		}
	}
	return t
}

// oggCRCUpdate adds p to the running checksum crc.
func oggCRCUpdate(crc uint32, p []byte) uint32 {
	t := oggCRCTable
	for len(p) >= 8 {
		crc ^= binary.BigEndian.Uint32(p)
		crc = t[7][crc>>24] ^ t[6][crc>>16&0xFF] ^ t[5][crc>>8&0xFF] ^ t[4][crc&0xFF] ^
			t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]]
		p = p[8:]
	}
	for _, b := range p {
		crc = crc<<8 ^ t[0][byte(crc>>24)^b]
	}
	return crc
}

// oggPageCRC computes the checksum of a whole page, counting its checksum
// field (bytes 22–25) as zeros.
func oggPageCRC(page []byte) uint32 {
	var zero [4]byte
	crc := oggCRCUpdate(0, page[:22])
	crc = oggCRCUpdate(crc, zero[:])
	return oggCRCUpdate(crc, page[26:])
}
