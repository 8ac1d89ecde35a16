//! A small generated recording: 8 kHz mono 16-bit PCM WAV with a soft tone, so a demo user
//! hears something when playing a simulated voicemail.

/// Audio longer than this is cut, to keep simulated recordings small.
pub const MAX_SECONDS: u32 = 30;
const RATE: u32 = 8_000;

pub fn tone(seconds: u32) -> Vec<u8> {
    let samples = RATE * seconds.clamp(1, MAX_SECONDS);
    let data_len = samples * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * 2).to_le_bytes()); // byte rate
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..samples {
        let t = f64::from(i) / f64::from(RATE);
        let sample = (t * 440.0 * std::f64::consts::TAU).sin() * 3000.0;
        out.extend_from_slice(&(sample as i16).to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wav_header_describes_the_samples_that_follow() {
        let wav = tone(2);
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(&wav[8..16], b"WAVEfmt ");
        let data_len = u32::from_le_bytes([wav[40], wav[41], wav[42], wav[43]]);
        assert_eq!(data_len, 2 * RATE * 2);
        assert_eq!(wav.len(), 44 + data_len as usize);
    }

    #[test]
    fn long_recordings_are_cut() {
        assert_eq!(tone(3600).len(), tone(MAX_SECONDS).len());
    }
}
