//! An inventory of any bytes, read as each format is detected (and as every format forced):
//! accepted rows or reported skips, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = ipam::audit::parse(text, "inventory.json", None);
    for format in ipam::audit::Format::ALL {
        let _ = ipam::audit::parse(text, "inventory.json", Some(*format));
    }
});
