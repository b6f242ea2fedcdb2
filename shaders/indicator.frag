// The trusted persona indicator (GLES). Drawn under the persona's windows
// over the whole output: the persona's color in the frame, around `inner`
// (the persona's area: x0, y0, x1, y1 in pixels), and its dimmed color
// inside, where the windows go. The badge is the same program on a small
// square that is all inside. smithay prepends
// `#version 100` and passes `size` (the area in pixels) and `alpha`.

#ifdef GL_FRAGMENT_PRECISION_HIGH
precision highp float;
#else
precision mediump float;
#endif

uniform vec2 size;
uniform float alpha;
varying vec2 v_coords;

uniform vec4 frame_color;
uniform vec4 area_color;
uniform vec4 inner;

#if defined(DEBUG_FLAGS)
uniform float tint;
#endif

void main() {
    // The fragment's pixel centre, in pixels from the area's corner.
    vec2 p = v_coords * size;
    bool inside = p.x > inner.x && p.y > inner.y
        && p.x < inner.z && p.y < inner.w;
    vec4 color = (inside ? area_color : frame_color) * alpha;

#if defined(DEBUG_FLAGS)
    if (tint == 1.0)
        color = vec4(0.0, 0.2, 0.0, 0.2) + color * 0.8;
#endif

    gl_FragColor = color;
}
