

def test_server_threads_default_to_half_the_cores_and_refuse_nonsense_plainly():
    from usecases.core.device import server_threads

    assert server_threads({}, cores=2) == (1, None)
    assert server_threads({}, cores=16) == (8, None)
    assert server_threads({}, cores=1) == (1, None)
    assert server_threads({"UCLAB_TORCH_THREADS": " 3 "}, cores=2) == (3, None)
    for bad in ("0", "-2", "two", "1.5"):
        n, warning = server_threads({"UCLAB_TORCH_THREADS": bad}, cores=4)
        assert n == 2 and warning.startswith(f"UCLAB_TORCH_THREADS={bad!r} is not a whole number"), warning


def test_the_cpu_description_names_torch_threads_and_the_machine_cores(monkeypatch):
    """The sidebar said "CPU (1 thread)" while the retrain notes spoke of "2 CPU cores": both are true, so both are said."""
    import torch

    from usecases.core import device

    monkeypatch.setattr(device.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    assert device.device_info(torch.device("cpu")).name.endswith(", 1 torch thread on 2 cores)")
    monkeypatch.setattr(device.os, "cpu_count", lambda: 16)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 8)
    assert device.device_info(torch.device("cpu")).name.endswith(", 8 torch threads on 16 cores)")
