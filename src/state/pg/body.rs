//! How a state's body is stored in `ipam.versions.body`: its JSON, compact, as bytes
//! (`encoding = 'json'`), which the server compresses (lz4 where it can). Measured on the
//! 100,000-VPC state (`cargo bench --bench postgres`): `bytea` compressed by the server is
//! written fastest and keeps a 7.5 MB body in 1.5 MB; `jsonb` takes four times as long to
//! write and three to read, for queries the tool never makes. The encoding is named in each
//! row, so a later one can be read beside the old.

use serde::Deserialize;

use super::error::Failure;
use crate::state::error::serde_message;
use crate::state::{FORMAT_VERSION, State, StateError};

/// The encoding new versions are written in.
pub const ENCODING: &str = "json";

/// The body of `state`.
pub fn encode(state: &State) -> Result<Vec<u8>, StateError> {
    serde_json::to_vec(state).map_err(StateError::Encode)
}

/// The state in a body written at `serial`: a newer format, another encoding, a body that
/// does not parse or that is not the version it is stored as are each refused.
pub fn decode(serial: u64, encoding: &str, bytes: &[u8]) -> Result<State, Failure> {
    if encoding != ENCODING {
        return Err(Failure::Body {
            serial,
            message: format!(
                "it is stored as `{encoding}`, which this build cannot read; upgrade ipam"
            ),
        });
    }
    match serde_json::from_slice::<State>(bytes) {
        Ok(state) if state.format_version > FORMAT_VERSION => Err(Failure::NewerFormat {
            serial,
            found: state.format_version,
        }),
        Ok(state) if state.serial != serial => Err(Failure::Body {
            serial,
            message: format!("its body says serial {}", state.serial),
        }),
        Ok(state) => Ok(state),
        Err(e) => {
            #[derive(Deserialize)]
            struct Header {
                format_version: u32,
            }
            match serde_json::from_slice::<Header>(bytes) {
                Ok(h) if h.format_version > FORMAT_VERSION => Err(Failure::NewerFormat {
                    serial,
                    found: h.format_version,
                }),
                _ => Err(Failure::Body {
                    serial,
                    message: serde_message(&e),
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Records;

    #[test]
    fn bodies_round_trip_and_bad_ones_are_named() {
        let state = State::after(None, Records::default());
        let bytes = encode(&state).unwrap();
        assert_eq!(decode(1, ENCODING, &bytes).unwrap(), state);
        assert!(matches!(
            decode(2, ENCODING, &bytes),
            Err(Failure::Body { serial: 2, .. })
        ));
        assert!(matches!(
            decode(1, "zstd", &bytes),
            Err(Failure::Body { .. })
        ));
        assert!(matches!(
            decode(1, ENCODING, b"{\"x\":"),
            Err(Failure::Body { .. })
        ));
        let newer = br#"{"format_version": 99, "other": []}"#;
        assert!(matches!(
            decode(1, ENCODING, newer),
            Err(Failure::NewerFormat { found: 99, .. })
        ));
    }
}
