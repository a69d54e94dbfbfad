"""The virtual clocks tests share with the emulator."""

import threading
import unittest

from nexwave_inventory_sync.emulator import FakeClock, OverlappingClock


def sleep_together(clock, seconds):
    """Each thread reads the clock, all meet, then each sleeps its own seconds."""
    barrier = threading.Barrier(len(seconds))

    def worker(pause):
        clock.now()
        barrier.wait()
        clock.sleep(pause)

    threads = [threading.Thread(target=worker, args=(s,)) for s in seconds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


class ClockTest(unittest.TestCase):
    def test_parallel_sleeps_overlap_on_the_overlapping_clock_and_add_up_on_the_fake_one(self):
        overlapping, fake = OverlappingClock(), FakeClock()
        sleep_together(overlapping, [1.0, 1.0, 0.5, 2.0])
        sleep_together(fake, [1.0, 1.0, 0.5, 2.0])
        self.assertEqual(overlapping.now(), 2.0)  # the longest sleep, as on a wall clock
        self.assertEqual(fake.now(), 4.5)

    def test_one_thread_sleeping_twice_waits_both(self):
        clock = OverlappingClock(10.0)
        clock.now()
        clock.sleep(1.5)
        clock.sleep(2.0)
        self.assertEqual(clock.now(), 13.5)
        clock.sleep(0)
        clock.advance(1.0)  # the emulator's virtual latency still moves it
        self.assertEqual(clock.now(), 14.5)
