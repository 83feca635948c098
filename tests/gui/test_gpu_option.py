"""The "Use all GPUs" checkbox: offered only when TensorFlow sees a GPU, and it says why not."""


def test_use_all_gpus_follows_the_devices_tensorflow_sees(window):
    box = window.panel.gpus_check
    assert box.objectName() == "allGpusCheck"
    assert box.accessibleName() == "Use all GPUs"
    if window.device.startswith("GPU"):
        assert box.isEnabled()
        assert "MirroredStrategy" in box.toolTip()
    else:  # CI and most laptops: no GPU, so the box is off and its tooltip says why
        assert not box.isEnabled()
        assert "sees no GPU" in box.toolTip()
        box.setChecked(True)  # a disabled box, even ticked, must not ask for GPUs
        assert window.build_config().validate().distribute == "none"


def test_a_ticked_box_asks_for_a_mirrored_run(window):
    box = window.panel.gpus_check
    box.setEnabled(True)  # as the window does on a machine with a GPU
    box.setChecked(True)
    assert window.build_config().validate().distribute == "mirrored"
    box.setChecked(False)
    assert window.build_config().validate().distribute == "none"
