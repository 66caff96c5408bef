/* "Draw a digit": MNIST's preprocessing and the network's forward pass, in
 * plain JavaScript. The weights come from the page itself: the JSON element
 * #mnistbook-network, written by a cell when the book was built. */
(function () {
  "use strict";

  // predict-start
  function predict(layers, x) {
    for (const layer of layers) {
      x = forward(layer, x);
    }
    return x;
  }
  // predict-end

  // forward-start
  // y = activation(x @ w.T + b), with w row-major,
  // shape (nout, nin), as in mnistbook
  function forward(layer, x) {
    const z = new Float64Array(layer.nout);
    for (let j = 0; j < layer.nout; j++) {
      const row = j * layer.nin;
      let sum = 0;
      for (let i = 0; i < layer.nin; i++) {
        sum += x[i] * layer.w[row + i];
      }
      z[j] = sum + layer.b[j];
    }
    return ACTIVATIONS[layer.activation](z);
  }
  // forward-end

  // softmax-start
  function softmax(z) {
    const max = Math.max(...z);
    // shifted by the maximum: every exponent <= 0
    const e = z.map((v) => Math.exp(v - max));
    const total = e.reduce((a, v) => a + v, 0);
    return e.map((v) => v / total);
  }

  const ACTIVATIONS = {
    relu: (z) => z.map((v) => Math.max(v, 0)),
    sigmoid: (z) => z.map((v) => 1 / (1 + Math.exp(-v))),
    softmax: softmax,
  };
  // softmax-end

  /* The weights: per output unit, int8 numbers q and one scale, w = q * scale. */
  function loadNetwork(payload) {
    return payload.layers.map((layer) => {
      const bytes = atob(layer.w);
      const w = new Float64Array(bytes.length);
      for (let k = 0; k < bytes.length; k++) {
        const q = bytes.charCodeAt(k);
        w[k] = (q > 127 ? q - 256 : q) * layer.scale[Math.floor(k / layer.nin)];
      }
      return { nin: layer.nin, nout: layer.nout, activation: layer.activation,
               w: w, b: Float64Array.from(layer.b) };
    });
  }

  /* MNIST's preprocessing, on the strokes (lists of points, x and y in 0..1). */
  const SIZE = 28;
  const FINE = 8; // strokes are drawn 8 times finer, then averaged: anti-aliasing

  function boundingBox(strokes) {
    const xs = strokes.flat().map((p) => p.x), ys = strokes.flat().map((p) => p.y);
    return { x0: Math.min(...xs), x1: Math.max(...xs),
             y0: Math.min(...ys), y1: Math.max(...ys) };
  }

  // Grey levels 0..1, row-major 28 x 28, of the strokes mapped by toPixels.
  function rasterise(strokes, toPixels, pen) {
    const canvas = rasterise.canvas || (rasterise.canvas = document.createElement("canvas"));
    canvas.width = canvas.height = SIZE * FINE;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.lineWidth = pen * FINE;
    ctx.lineCap = ctx.lineJoin = "round";
    for (const stroke of strokes) {
      const points = stroke.map((p) => toPixels(p).map((v) => v * FINE));
      ctx.beginPath();
      ctx.moveTo(...points[0]);
      // a single tap is a dot: a zero-length line with round caps
      for (const point of points.length > 1 ? points.slice(1) : points) ctx.lineTo(...point);
      ctx.stroke();
    }
    const alpha = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const grey = new Float64Array(SIZE * SIZE);
    for (let y = 0; y < canvas.height; y++) {
      for (let x = 0; x < canvas.width; x++) {
        grey[Math.floor(y / FINE) * SIZE + Math.floor(x / FINE)] += alpha[4 * (y * canvas.width + x) + 3];
      }
    }
    return grey.map((v) => v / (255 * FINE * FINE));
  }

  function centreOfMass(grey) {
    let total = 0, row = 0, col = 0;
    grey.forEach((v, k) => { total += v; row += v * Math.floor(k / SIZE); col += v * (k % SIZE); });
    return [row / total, col / total];
  }

  function shifted(grey, down, right) {
    const out = new Float64Array(SIZE * SIZE);
    for (let r = 0; r < SIZE; r++) {
      for (let c = 0; c < SIZE; c++) {
        const r0 = r - down, c0 = c - right;
        if (r0 >= 0 && r0 < SIZE && c0 >= 0 && c0 < SIZE) out[r * SIZE + c] = grey[r0 * SIZE + c0];
      }
    }
    return out;
  }

  // Every step of the preprocessing, so that the page can show each one.
  function preprocess(strokes, settings) {
    const box = boundingBox(strokes);
    const side = Math.max(box.x1 - box.x0, box.y1 - box.y0);
    // the strokes' middle lines fit box - pen, the ink with the pen's width fits box
    const scale = side > 0 ? (settings.box - settings.pen) / side : 0;
    const middle = SIZE / 2;
    const toPixels = (p) => [middle + (p.x - (box.x0 + box.x1) / 2) * scale,
                             middle + (p.y - (box.y0 + box.y1) / 2) * scale];
    const boxed = rasterise(strokes, toPixels, settings.pen);
    const mass = centreOfMass(boxed);
    // MNIST moved its digits by whole pixels
    const move = [Math.round(settings.centre[0] - mass[0]), Math.round(settings.centre[1] - mass[1])];
    return { box: box, boxed: boxed, mass: mass, move: move,
             pixels: shifted(boxed, move[0], move[1]) };
  }

  /* Drawing on the page. */
  function paintGrey(canvas, grey, overlay) {
    const ctx = canvas.getContext("2d");
    const cell = canvas.width / SIZE;
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    grey.forEach((v, k) => {
      if (v <= 0) return;
      const level = Math.round(255 * (1 - Math.min(v, 1))); // dark ink on white, as the book's figures
      ctx.fillStyle = `rgb(${level},${level},${level})`;
      ctx.fillRect((k % SIZE) * cell, Math.floor(k / SIZE) * cell, cell, cell);
    });
    if (overlay) overlay(ctx, cell);
  }

  // a cross on a white halo, visible on ink and on paper
  function crossAt(ctx, cell, row, col, colour) {
    const x = (col + 0.5) * cell, y = (row + 0.5) * cell;
    ctx.beginPath();
    ctx.moveTo(x - 2.5 * cell, y); ctx.lineTo(x + 2.5 * cell, y);
    ctx.moveTo(x, y - 2.5 * cell); ctx.lineTo(x, y + 2.5 * cell);
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = 6;
    ctx.stroke();
    ctx.strokeStyle = colour;
    ctx.lineWidth = 3;
    ctx.stroke();
  }

  function percent(p) {
    return `${(100 * p).toFixed(p >= 0.995 || p < 0.005 ? 0 : 1)}%`;
  }

  function start() {
    const source = document.getElementById("mnistbook-network");
    const root = document.getElementById("mb-draw");
    if (!source || !root) return;
    const payload = JSON.parse(source.textContent);
    const layers = loadNetwork(payload);
    const settings = { pen: payload.pen, box: payload.box, centre: payload.centre };
    const pad = document.getElementById("mb-draw-pad");
    const strokes = [];
    let drawing = null, latest = null, queued = false;
    let cursor = null, penDown = false; // the keyboard's pen

    function classify(pixels) {
      if (!pixels || pixels.length !== SIZE * SIZE) {
        throw new TypeError(`classify: expected 784 pixels, got ${pixels && pixels.length}`);
      }
      return Array.from(predict(layers, Float64Array.from(pixels)));
    }

    function showProbabilities(list, probabilities) {
      const best = probabilities ? probabilities.indexOf(Math.max(...probabilities)) : -1;
      list.querySelectorAll("li").forEach((item, digit) => {
        const p = probabilities ? probabilities[digit] : 0;
        item.querySelector(".mb-draw-fill").style.width = `${100 * p}%`;
        item.querySelector(".mb-draw-pct").textContent = probabilities ? percent(p) : "";
        item.classList.toggle("mb-draw-best", digit === best);
      });
      return best;
    }

    function paintPad() {
      const rect = pad.getBoundingClientRect();
      const ratio = window.devicePixelRatio || 1;
      pad.width = Math.round(rect.width * ratio);
      pad.height = Math.round(rect.height * ratio);
      const ctx = pad.getContext("2d");
      ctx.clearRect(0, 0, pad.width, pad.height);
      ctx.strokeStyle = getComputedStyle(pad).color;
      ctx.lineWidth = pad.width / 14;
      ctx.lineCap = ctx.lineJoin = "round";
      for (const stroke of strokes) {
        ctx.beginPath();
        ctx.moveTo(stroke[0].x * pad.width, stroke[0].y * pad.height);
        for (const p of stroke.length > 1 ? stroke.slice(1) : stroke) ctx.lineTo(p.x * pad.width, p.y * pad.height);
        ctx.stroke();
      }
      if (cursor && document.activeElement === pad) {
        // the keyboard's pen: a ring, filled while it draws
        ctx.beginPath();
        ctx.arc(cursor.x * pad.width, cursor.y * pad.height, ctx.lineWidth / 2, 0, 2 * Math.PI);
        ctx.fillStyle = ctx.strokeStyle = getComputedStyle(pad).getPropertyValue("--mb-draw-cursor").trim() || "#0a7d91";
        ctx.lineWidth = 2 * ratio;
        if (penDown) ctx.fill(); else ctx.stroke();
      }
    }

    function paintSteps(steps) {
      const canvases = root.ownerDocument.querySelectorAll("canvas[data-mb-step]");
      canvases.forEach((canvas) => {
        const step = canvas.dataset.mbStep;
        if (step === "strokes") {
          const ctx = canvas.getContext("2d");
          ctx.fillStyle = "#ffffff";
          ctx.fillRect(0, 0, canvas.width, canvas.height);
          ctx.strokeStyle = "#000000";
          ctx.lineWidth = canvas.width / 14;
          ctx.lineCap = ctx.lineJoin = "round";
          for (const stroke of strokes) {
            ctx.beginPath();
            ctx.moveTo(stroke[0].x * canvas.width, stroke[0].y * canvas.height);
            for (const p of stroke.length > 1 ? stroke.slice(1) : stroke) ctx.lineTo(p.x * canvas.width, p.y * canvas.height);
            ctx.stroke();
          }
          if (steps) {
            const b = steps.box;
            ctx.strokeStyle = "#d62728";
            ctx.lineWidth = 2;
            ctx.strokeRect(b.x0 * canvas.width, b.y0 * canvas.height,
                           (b.x1 - b.x0) * canvas.width, (b.y1 - b.y0) * canvas.height);
          }
        } else if (step === "boxed") {
          paintGrey(canvas, steps ? steps.boxed : new Float64Array(SIZE * SIZE), (ctx, cell) => {
            const edge = (SIZE - settings.box) / 2;
            ctx.strokeStyle = "#1f77b4";
            ctx.lineWidth = 2;
            ctx.strokeRect(edge * cell, edge * cell, settings.box * cell, settings.box * cell);
            if (steps) crossAt(ctx, cell, steps.mass[0], steps.mass[1], "#d62728");
          });
        } else if (step === "centred") {
          paintGrey(canvas, steps ? steps.pixels : new Float64Array(SIZE * SIZE), (ctx, cell) => {
            crossAt(ctx, cell, settings.centre[0], settings.centre[1], "#d62728");
          });
        }
      });
      const move = document.getElementById("mb-draw-move");
      if (move) {
        move.textContent = steps
          ? `moved ${Math.abs(steps.move[0])} px ${steps.move[0] < 0 ? "up" : "down"} and ` +
            `${Math.abs(steps.move[1])} px ${steps.move[1] < 0 ? "left" : "right"}`
          : "";
      }
    }

    function paintShift(steps) {
      const slider = document.getElementById("mb-draw-shift");
      if (!slider) return;
      const by = Number(slider.value);
      document.getElementById("mb-draw-shift-value").textContent = String(by);
      const pixels = steps ? shifted(steps.pixels, 0, by) : new Float64Array(SIZE * SIZE);
      paintGrey(document.getElementById("mb-draw-shifted"), pixels);
      const probabilities = steps ? classify(pixels) : null;
      const best = showProbabilities(document.getElementById("mb-draw-shift-bars"), probabilities);
      document.getElementById("mb-draw-shift-prediction").textContent = steps
        ? `moved ${by} px right, the network reads ${best} (${percent(probabilities[best])})`
        : "Draw a digit above first.";
    }

    function update() {
      queued = false;
      paintPad();
      const steps = strokes.length ? preprocess(strokes, settings) : null;
      latest = steps ? classify(steps.pixels) : null;
      paintGrey(document.getElementById("mb-draw-input"), steps ? steps.pixels : new Float64Array(SIZE * SIZE));
      const best = showProbabilities(document.getElementById("mb-draw-bars"), latest);
      document.getElementById("mb-draw-digit").textContent = latest ? String(best) : "?";
      paintSteps(steps);
      paintShift(steps);
    }

    function schedule() {
      if (!queued) {
        queued = true;
        requestAnimationFrame(update);
      }
    }

    function announce() {
      const live = document.getElementById("mb-draw-live");
      if (!latest) {
        live.textContent = "The canvas is empty.";
        return;
      }
      const best = latest.indexOf(Math.max(...latest));
      live.textContent = `The network reads ${best} (${percent(latest[best])} sure).`;
    }

    function point(event) {
      const rect = pad.getBoundingClientRect();
      return { x: Math.min(Math.max((event.clientX - rect.left) / rect.width, 0), 1),
               y: Math.min(Math.max((event.clientY - rect.top) / rect.height, 0), 1) };
    }

    pad.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      event.preventDefault();
      pad.setPointerCapture(event.pointerId);
      pad.focus({ preventScroll: true });
      drawing = [point(event)];
      strokes.push(drawing);
      schedule();
    });
    pad.addEventListener("pointermove", (event) => {
      if (!drawing) return;
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
      for (const e of events.length ? events : [event]) drawing.push(point(e));
      schedule();
    });
    const finish = () => {
      if (!drawing) return;
      drawing = null;
      update();
      announce();
    };
    pad.addEventListener("pointerup", finish);
    pad.addEventListener("pointercancel", finish);

    function clear() {
      strokes.length = 0;
      drawing = null;
      penDown = false;
      update();
      announce();
    }
    document.getElementById("mb-draw-clear").addEventListener("click", clear);
    // The keyboard draws too: arrows move the pen (with Shift, finely),
    // Space or Enter puts it down or lifts it, Escape or Delete clears.
    const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    pad.addEventListener("keydown", (event) => {
      const clamp = (v) => Math.min(Math.max(v, 0), 1);
      if (event.key === "Escape" || event.key === "Delete" || event.key === "Backspace") {
        event.preventDefault();
        clear();
      } else if (event.key in ARROWS) {
        event.preventDefault();
        const [dx, dy] = ARROWS[event.key], by = event.shiftKey ? 0.01 : 0.04;
        cursor = cursor || { x: 0.5, y: 0.5 };
        cursor = { x: clamp(cursor.x + dx * by), y: clamp(cursor.y + dy * by) };
        if (penDown) strokes[strokes.length - 1].push(cursor);
        schedule();
      } else if (event.key === " " || event.key === "Enter") {
        event.preventDefault();
        cursor = cursor || { x: 0.5, y: 0.5 };
        penDown = !penDown;
        if (penDown) strokes.push([cursor]);
        update();
        if (!penDown) announce();
      }
    });
    pad.addEventListener("focus", schedule);
    pad.addEventListener("blur", () => {
      if (penDown) {
        penDown = false;
        announce();
      }
      schedule();
    });
    const slider = document.getElementById("mb-draw-shift");
    if (slider) slider.addEventListener("input", () => paintShift(strokes.length ? preprocess(strokes, settings) : null));

    // bars: one row per digit
    for (const list of document.querySelectorAll(".mb-draw-bars")) {
      for (let digit = 0; digit < 10; digit++) {
        const item = document.createElement("li");
        item.innerHTML = `<span class="mb-draw-label">${digit}</span>` +
          '<span class="mb-draw-bar"><span class="mb-draw-fill"></span></span>' +
          '<span class="mb-draw-pct"></span>';
        list.appendChild(item);
      }
    }
    // the pad's ink follows the theme: repaint when it or the size changes
    new ResizeObserver(() => paintPad()).observe(pad);
    new MutationObserver(() => paintPad()).observe(document.documentElement,
      { attributes: true, attributeFilter: ["data-theme"] });
    update();

    window.mnistbookDemo = {
      classify: classify,
      current: () => (latest ? latest.slice() : null),
      input: () => (strokes.length ? Array.from(preprocess(strokes, settings).pixels) : null),
      clear: clear,
    };
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
