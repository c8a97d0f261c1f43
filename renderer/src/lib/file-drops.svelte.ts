// Where a file dropped anywhere on the window goes. Orders are imported unless a panel on screen claims
// drops for itself (Held PINs takes a list of delivered orders), so the overlay can say what will happen.
export interface DropRoute {
  /** What the overlay says while a file hovers, e.g. "Drop the CSV to confirm delivery of its orders". */
  message: string;
  accept(file: File): void;
}

class FileDrops {
  route = $state.raw<DropRoute | undefined>();

  /** Routes drops to `route` while the caller is on screen; returns the function that lets go. */
  claim(route: DropRoute): () => void {
    this.route = route;
    return () => {
      if (this.route === route) this.route = undefined;
    };
  }
}

export const fileDrops = new FileDrops();
