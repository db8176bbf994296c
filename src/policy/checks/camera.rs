//! `camera`: no video capture devices (视频设备). A video node that can capture, or that
//! nothing proves cannot, fails; UVC metadata nodes pass. A USB video-class device with no
//! node bound fails too.

use super::evidence::{unbound_usb, ClassDevice};
use super::{Context, DeviceRule, EvidenceKind, NameField, Outcome};
use crate::i18n::Msg;
use crate::inventory::usb::UsbKind;
use crate::inventory::video::Capture;
use crate::inventory::Fact;
use crate::policy::reader::Table;

pub const NAME: &str = "camera";

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub rule: DeviceRule,
}

impl Settings {
    pub fn parse(t: &Table) -> Settings {
        Settings {
            rule: DeviceRule::parse(t, NameField::VideoNode),
        }
    }

    pub fn evaluate(&self, ctx: &Context) -> Outcome {
        let inv = ctx.inventory;
        let mut evidence = Vec::new();
        for node in inv.video.devices.iter().filter(|v| v.may_capture()) {
            let device = ClassDevice {
                name: &node.name,
                device_path: &node.device_path,
                usb: node.usb.as_ref(),
                label: node.label.as_ref(),
                driver: node.driver.as_ref(),
                bus: node.bus,
            };
            let mut ids = device.ids();
            ids.video_node = Some(&node.name);
            if self.rule.allows(&ids) {
                continue;
            }
            let detail = match node.capture {
                Capture::Yes => Msg::CameraCapture,
                _ => Msg::CameraMaybe,
            };
            evidence.push(device.evidence(EvidenceKind::VideoDevice, detail));
        }
        let with_node: Vec<&str> = inv
            .video
            .devices
            .iter()
            .filter_map(|v| v.usb.as_ref().map(|u| u.device_path.as_str()))
            .collect();
        evidence.extend(unbound_usb(
            inv,
            UsbKind::Video,
            &with_node,
            &self.rule.allow,
            Msg::CameraUnbound,
        ));
        let problems = inv.problems_of(&[Fact::VideoNodes, Fact::UsbDevices]);
        self.rule.mode.conclude(evidence, &problems)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{judge, machine, named, problem, usb, video_node};
    use crate::finding::v1::Status;
    use crate::inventory::video::Capture;
    use crate::inventory::Fact;

    const RULE: &str = "id = \"camera\"";

    #[test]
    fn nodes_that_capture_or_might_fail_metadata_nodes_pass() {
        let mut inv = machine();
        inv.video
            .devices
            .push(video_node("video1", Capture::No, None));
        assert_eq!(judge(RULE, "", &inv).status, Status::Pass);
        inv.video
            .devices
            .push(video_node("video0", Capture::Yes, None));
        inv.video
            .devices
            .push(video_node("video2", Capture::Unknown, None));
        let r = judge(RULE, "", &inv);
        assert_eq!(named(&r), vec!["video0".to_string(), "video2".to_string()]);
        let rule = format!("{RULE}\n[rule.settings]\nallow = [ {{ name = \"video0\" }} ]");
        assert_eq!(named(&judge(&rule, "", &inv)), vec!["video2".to_string()]);
        let report = format!("{RULE}\n[rule.settings]\nmode = \"report\"");
        assert_eq!(judge(&report, "", &inv).status, Status::Pass);
    }

    #[test]
    fn an_unbound_video_function_fails_and_unread_video_is_an_error() {
        let mut inv = machine();
        inv.video
            .problems
            .push(problem("/sys/class/video4linux", Some(Fact::VideoNodes)));
        assert_eq!(judge(RULE, "", &inv).status, Status::Error);
        inv.usb.devices.push(usb(
            "1-6",
            ("04f2", "b221"),
            None,
            &[("0e", "01", "00", None)],
        ));
        let r = judge(RULE, "", &inv);
        assert_eq!((r.status, named(&r)), (Status::Fail, vec!["1-6".into()]));
    }
}
