

def test_server_threads_default_to_half_the_cores_and_refuse_nonsense_plainly():
    from usecases.core.device import server_threads

    assert server_threads({}, cores=2) == (1, None)
    assert server_threads({}, cores=16) == (8, None)
    assert server_threads({}, cores=1) == (1, None)
    assert server_threads({"UCLAB_TORCH_THREADS": " 3 "}, cores=2) == (3, None)
    for bad in ("0", "-2", "two", "1.5"):
        n, warning = server_threads({"UCLAB_TORCH_THREADS": bad}, cores=4)
        assert n == 2 and warning.startswith(f"UCLAB_TORCH_THREADS={bad!r} is not a whole number"), warning
