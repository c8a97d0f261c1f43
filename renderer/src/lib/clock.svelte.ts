// One ticking clock for every elapsed-time display, so tiles tick together and only one timer runs.
class Clock {
  now = $state(Date.now());

  /** Starts ticking once a second; returns the function that stops it. */
  start(): () => void {
    this.now = Date.now();
    const timer = setInterval(() => (this.now = Date.now()), 1000);
    return () => clearInterval(timer);
  }
}

export const clock = new Clock();
