// The switch transition (GLES): the outgoing persona's snapshot, drawn over
// (crossfade, fading by the element's alpha) or beside (slide) the incoming
// persona. `shade` darkens it as `progress` goes from 0 to 1, so the eye
// follows the persona coming in. smithay replaces the line below with its
// defines and passes `tex` and `alpha`.

//_DEFINES_

#if defined(EXTERNAL)
#extension GL_OES_EGL_image_external : require
#endif

precision mediump float;
#if defined(EXTERNAL)
uniform samplerExternalOES tex;
#else
uniform sampler2D tex;
#endif

uniform float alpha;
varying vec2 v_coords;

uniform float progress;
uniform float shade;

#if defined(DEBUG_FLAGS)
uniform float tint;
#endif

void main() {
    vec4 color = texture2D(tex, v_coords);
#if defined(NO_ALPHA)
    color = vec4(color.rgb, 1.0);
#endif
    color.rgb *= 1.0 - shade * progress;
    color *= alpha;

#if defined(DEBUG_FLAGS)
    if (tint == 1.0)
        color = vec4(0.0, 0.2, 0.0, 0.2) + color * 0.8;
#endif

    gl_FragColor = color;
}
